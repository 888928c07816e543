"""Write the QC outputs: samples.tsv, pass_samples.txt, relatedness.tsv, summary.json, report, MultiQC."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from goe.cohort.sheet import Sample
from goe.guidelines.profile import Check
from goe.qc.decide import Decisions
from goe.qc.kinship import Pair
from goe.qc.metrics import RAW_COUNTS, VCF_METRICS

SAMPLES = "samples.tsv"
PASS_LIST = "pass_samples.txt"
RELATEDNESS = "relatedness.tsv"
SUMMARY = "summary.json"
REPORT = "report.html"
MULTIQC = "goe_qc_mqc.json"


@dataclass
class QcTables:
    """Everything the outputs are made from."""

    samples: list[Sample]
    inferred_sex: list[str]
    metrics: dict[str, np.ndarray]
    decisions: Decisions
    pairs: list[Pair]
    counts: dict[str, np.ndarray]
    n_kinship_snvs: int
    relationship: Callable[[float], str]


@dataclass
class Written:
    samples: pl.DataFrame
    relatedness: pl.DataFrame
    summary: dict[str, Any]


def _col(values: np.ndarray) -> pl.Series:
    return pl.Series(values.astype(np.float64), nan_to_null=True)


def samples_frame(t: QcTables) -> pl.DataFrame:
    """One row per sample: identity, decision, every metric, then bcftools-style raw counts."""
    s = t.samples
    data: dict[str, Any] = {
        "sample_id": [x.sample_id for x in s],
        "status": t.decisions.status,
        "reasons": [",".join(r) for r in t.decisions.reasons],
        "inferred_sex": t.inferred_sex,
        "reported_sex": ["male" if x.sex == "M" else "female" for x in s],
        "country": [x.country for x in s],
    }
    for name in VCF_METRICS:
        data[name] = _col(t.metrics[name])
    for name in sorted(k for k in t.metrics if k not in VCF_METRICS and k != "sex_mismatch"):
        data[name] = _col(t.metrics[name])
    for name in RAW_COUNTS:
        data[name] = t.counts[name].astype(np.int64)
    return pl.DataFrame(data)


def relatedness_frame(t: QcTables) -> pl.DataFrame:
    """Pairs above second degree, closest first, with the sample excluded from each."""
    ids = [x.sample_id for x in t.samples]
    excl = t.decisions.excluded_for_relatedness
    rows = []
    for p in t.pairs:
        dropped = ids[p.i] if p.i in excl and excl[p.i] == p.j else ids[p.j] if p.j in excl and excl[p.j] == p.i else ""
        rows.append((ids[p.i], ids[p.j], round(p.kinship, 6), round(p.ibs0, 6), p.n_snv, t.relationship(p.kinship),
                     dropped))
    schema = {"sample_id_1": pl.String, "sample_id_2": pl.String, "kinship": pl.Float64, "ibs0": pl.Float64,
              "n_snv": pl.Int64, "relationship": pl.String, "excluded": pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row")


def build_summary(frame: pl.DataFrame, rel: pl.DataFrame, base: dict[str, Any]) -> dict[str, Any]:
    """Aggregates only (no sample ID): safe to share."""
    status = Counter(frame["status"].to_list())
    by_country: dict[str, dict[str, Any]] = {}
    for country in sorted(set(frame["country"].to_list())):
        sub = frame.filter(pl.col("country") == country)
        c = Counter(sub["status"].to_list())
        reasons = Counter(r for x in sub["reasons"].to_list() for r in x.split(",") if r)
        by_country[country] = {
            "samples": sub.height, "pass": c["pass"], "warn": c["warn"], "fail": c["fail"],
            "top_reasons": dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:5]),
        }
    reasons = Counter(r for x in frame["reasons"].to_list() for r in x.split(",") if r)
    metric_summary = {}
    for name in frame.columns[6:]:
        v = frame[name].drop_nulls()
        if v.len() and v.dtype.is_numeric():
            q = np.quantile(v.to_numpy().astype(np.float64), [0.05, 0.5, 0.95])
            metric_summary[name] = {"n": v.len(), "p05": float(q[0]), "median": float(q[1]), "p95": float(q[2])}
    rel_counts = Counter(rel["relationship"].to_list())
    sex = Counter(zip(frame["reported_sex"].to_list(), frame["inferred_sex"].to_list(), strict=True))
    return {
        **base,
        "cohort": {
            "samples": frame.height, "pass": status["pass"], "warn": status["warn"], "fail": status["fail"],
            "countries": by_country,
        },
        "reasons": dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        "sex": {f"reported_{r}_inferred_{i}": n for (r, i), n in sorted(sex.items())},
        "relatedness": {k: rel_counts[k] for k in ("duplicate", "first degree", "second degree")},
        "metrics": metric_summary,
    }


def write_outputs(folder: Path, t: QcTables, base_summary: dict[str, Any], checks: Sequence[Check]) -> Written:
    """Write every QC output into ``folder``."""
    from goe.qc.report.html import render_report
    from goe.qc.report.multiqc import write_multiqc

    frame = samples_frame(t)
    rel = relatedness_frame(t)
    frame.write_csv(folder / SAMPLES, separator="\t", null_value="NA", float_precision=6)
    keep = frame.filter(pl.col("status") != "fail")["sample_id"].to_list()
    (folder / PASS_LIST).write_text("".join(f"{x}\n" for x in keep), encoding="utf-8")
    rel.write_csv(folder / RELATEDNESS, separator="\t", float_precision=6)
    summary = build_summary(frame, rel, base_summary)
    (folder / SUMMARY).write_text(json.dumps(summary, indent=2, default=float) + "\n", encoding="utf-8")
    (folder / REPORT).write_text(render_report(frame, rel, summary, list(checks)), encoding="utf-8")
    write_multiqc(frame, folder / MULTIQC)
    return Written(frame, rel, summary)
