"""From metrics to decisions: each sample's status and the checks behind it.

A sample fails when any ``fail`` check fails, warns when only ``warn``
checks do, and passes otherwise. ``within_mad`` checks flag outliers beyond
median +- k MAD within the check's scope (each country, or the cohort). Of
each duplicate or first-degree pair, the sample with the lower call rate is
excluded (ties: the later sample ID), one pair at a time from the closest.
The MAD is scaled by 1.4826 (a normal standard deviation), as in gnomAD.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from goe.guidelines.profile import Check
from goe.qc.kinship import Pair


@dataclass
class Decisions:
    """Per sample: status and failing check ids; plus which related samples were excluded."""

    status: list[str]
    reasons: list[list[str]]
    excluded_for_relatedness: dict[int, int] = field(default_factory=dict)  # excluded -> kept partner
    not_assessed: list[str] = field(default_factory=list)


# MAD scaled to estimate a normal standard deviation, as R's mad() and gnomAD's sample QC do.
MAD_SCALE = 1.4826


def scaled_mad(values: np.ndarray) -> float:
    """1.4826 x median(|x - median(x)|)."""
    med = float(np.median(values))
    return MAD_SCALE * float(np.median(np.abs(values - med)))


def mad_outliers(values: np.ndarray, groups: Sequence[str], k: float) -> np.ndarray:
    """True where a value lies beyond median +- k x (scaled) MAD of its group (NaN never flagged)."""
    out = np.zeros(len(values), dtype=bool)
    labels = np.asarray(groups)
    for g in sorted(set(labels.tolist())):
        idx = np.nonzero(labels == g)[0]
        v = values[idx]
        ok = ~np.isnan(v)
        if ok.sum() < 3:
            continue
        med = float(np.median(v[ok]))
        mad = scaled_mad(v[ok])
        if mad == 0:
            continue
        out[idx] = ok & (np.abs(v - med) > k * mad)
    return out


def exclude_related(
    pairs: Sequence[Pair], call_rate: np.ndarray, sample_ids: Sequence[str], limit: float
) -> dict[int, int]:
    """Greedy: for each pair above ``limit`` (closest first) with both still in, drop the lower call rate."""
    excluded: dict[int, int] = {}
    for p in sorted(pairs, key=lambda q: (-q.kinship, q.i, q.j)):
        if p.kinship <= limit or p.i in excluded or p.j in excluded:
            continue
        ci, cj = call_rate[p.i], call_rate[p.j]
        ci = -1.0 if np.isnan(ci) else ci
        cj = -1.0 if np.isnan(cj) else cj
        if ci < cj or (ci == cj and sample_ids[p.i] > sample_ids[p.j]):
            excluded[p.i] = p.j
        else:
            excluded[p.j] = p.i
    return excluded


def decide(
    checks: Sequence[Check],
    metrics: dict[str, np.ndarray],
    countries: Sequence[str],
    sample_ids: Sequence[str],
    pairs: Sequence[Pair],
    outliers: bool = True,
) -> Decisions:
    """Apply the sample- and sequencing-level checks to every sample (``outliers=False`` skips MAD checks)."""
    n = len(sample_ids)
    reasons: list[list[str]] = [[] for _ in range(n)]
    severity: list[set[str]] = [set() for _ in range(n)]
    not_assessed: list[str] = []
    excluded: dict[int, int] = {}
    for c in checks:
        if c.metric == "kinship":
            if "kinship" in metrics and np.isnan(metrics["kinship"]).all():
                not_assessed.append(c.id)
                continue
            excluded = exclude_related(pairs, metrics.get("call_rate", np.full(n, np.nan)), sample_ids,
                                       float(c.threshold))  # type: ignore[arg-type]
            failing = np.zeros(n, dtype=bool)
            failing[list(excluded)] = True
        else:
            values = metrics.get(c.metric)
            if values is None or np.isnan(values).all():
                not_assessed.append(c.id)
                continue
            if c.comparator == "within_mad":
                if not outliers:
                    not_assessed.append(c.id)
                    continue
                scope = countries if c.scope == "country" else ["cohort"] * n
                failing = mad_outliers(values, scope, float(c.threshold))  # type: ignore[arg-type]
            else:
                failing = ~c.passes(values)
        for i in np.nonzero(failing)[0].tolist():
            reasons[i].append(c.id)
            severity[i].add(c.severity)
    status = ["fail" if "fail" in s else "warn" if "warn" in s else "pass" for s in severity]
    return Decisions(status, reasons, excluded, not_assessed)


def cohort_checks(checks: Sequence[Check], values: dict[str, float]) -> list[dict[str, object]]:
    """Evaluate cohort-level checks on aggregate values."""
    out: list[dict[str, object]] = []
    for c in checks:
        v = values.get(c.metric)
        if v is None or np.isnan(v):
            status = "not assessed"
        else:
            status = "pass" if bool(c.passes(np.array([v]))[0]) else c.severity
        out.append({
            "id": c.id, "description": c.description, "metric": c.metric, "value": v,
            "threshold": c.describe_threshold(), "status": status, "source": c.source,
        })
    return out
