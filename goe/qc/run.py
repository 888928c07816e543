"""`goe qc`: one streaming pass over the cohort, sequencing metrics, decisions, outputs."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from goe import __version__
from goe.cohort.match import match_samples
from goe.cohort.sheet import read_sample_sheet
from goe.engine.resume import Resume
from goe.engine.run import Engine, run_partitions
from goe.genome.assemblies import canonical_contig, check_contig_lengths, get_assembly
from goe.guidelines.profile import load_profile
from goe.package.staging import Staging
from goe.progress import NO_PROGRESS, Progress
from goe.qc.decide import cohort_checks, decide
from goe.qc.kinship import SECOND_DEGREE, king_robust, relationship
from goe.qc.metrics import derive_metrics, infer_sex
from goe.qc.outputs import QcTables, write_outputs
from goe.qc.sample_stats import SampleStats
from goe.qc.worker import QcJob, QcPart, run_qc_part
from goe.vcf.partition import GRID
from goe.vcf.plan import check_complete, plan_input
from goe.vcf.reader import inspect_vcf

log = logging.getLogger("goe")
KINSHIP_TARGET_SNVS = 20_000
# Relatedness (KING) and the within-country outlier checks (gnomAD) assume
# genome-wide data: IBD segments are megabases long and a few Mb give counts
# whose spread says nothing about a sample. Below this autosomal span they are
# not assessed.
MIN_GENOME_SPAN = 200_000_000
MIN_KINSHIP_SNVS = 1_000


def autosomal_span(spans: dict[str, int]) -> int:
    """Base pairs of autosomes the input covers (first to last record per contig, from the index)."""
    return sum(v for k, v in spans.items() if canonical_contig(k) not in ("X", "Y", "MT", None))


@dataclass
class QcOptions:
    """Inputs and parameters of one `goe qc` run."""

    vcf: Path
    samples: Path
    out: Path
    metrics: tuple[Path, ...] = ()
    assembly: str = "GRCh38"
    guidelines: str | None = None
    reference: Path | None = None
    workers: int | None = None
    force: bool = False
    partition_bytes: int | None = None  # None: 16 MB, less for small inputs (auto_partition_bytes)
    scheduler: str | None = None


@dataclass
class QcResult:
    """What `goe qc` decided and wrote."""

    out: Path
    summary: dict[str, Any]
    samples: pl.DataFrame
    relatedness: pl.DataFrame
    warnings: list[str] = field(default_factory=list)
    partitions: int = 0
    partitions_reused: int = 0  # finished by an earlier, interrupted run (``resume``)

    @property
    def n_failed(self) -> int:
        return int((self.samples["status"] == "fail").sum())


def kinship_window(spans: dict[str, int], n_records: int | None) -> int:
    """Thinning window for kinship SNVs: a power of two (dividing the partition grid).

    Inputs with few records keep every common SNV (window 1); larger ones keep
    one per window, about KINSHIP_TARGET_SNVS in all.
    """
    if n_records is None or n_records <= 4 * KINSHIP_TARGET_SNVS:
        return 1
    span = sum(v for k, v in spans.items() if canonical_contig(k) not in ("X", "Y", "MT", None))
    raw = max(span // KINSHIP_TARGET_SNVS, 1)
    return int(min(1 << int(math.floor(math.log2(raw))), GRID))


def run_qc(opts: QcOptions, progress: Progress = NO_PROGRESS, resume: Resume | None = None) -> QcResult:
    """Check every sample of the cohort against the guideline profile; write the QC outputs.

    With ``resume``, partitions finished by an earlier run with the same fingerprint are kept.
    """
    warnings: list[str] = []
    profile = load_profile(opts.guidelines)
    assembly = get_assembly(opts.assembly)
    sheet = read_sample_sheet(opts.samples)
    info = inspect_vcf(opts.vcf)
    check_contig_lengths(assembly, info.contig_lengths, str(opts.vcf))
    samples, n_extra = match_samples(sheet, info.samples, info.path.name)
    if n_extra:
        msg = f"{n_extra} sample(s) in {info.path.name} are not in the sample sheet and are not checked"  # noqa: E501
        warnings.append(msg)
        log.warning(msg)
    ids = [s.sample_id for s in samples]
    seq_values: dict[str, dict[str, float]] = {}
    if opts.metrics:
        from goe.qc.seqmetrics import collect_metrics

        seq_values, _sources = collect_metrics(list(opts.metrics), ids)
    align = {s.sample_id: s.alignment for s in samples if s.alignment}
    if align:
        from goe.qc.seqmetrics.alignment import alignment_metrics

        for sid, path in align.items():
            values = alignment_metrics(Path(path), reference=opts.reference, base=opts.samples.parent)
            seq_values.setdefault(sid, {}).update({k: v for k, v in values.items() if k not in seq_values.get(sid, {})})
    plan = plan_input(info, assembly, opts.partition_bytes)
    fields: frozenset[str] = frozenset(f for f in ("GQ", "DP", "AD") if f in info.format_fields)
    if "AD" in fields:
        fields = fields | {"AD_REF"}
    else:
        msg = f"{info.path.name} has no FORMAT/AD: contamination from the VCF is not assessed"
        warnings.append(msg)
        log.warning(msg)
    window = kinship_window(plan.spans, plan.n_records)
    vcf_ids = tuple(s.vcf_sample_id for s in samples)
    jobs = [QcJob(info.path.resolve(), r, vcf_ids, assembly, fields, window) for r in plan.regions]
    with Staging(opts.out, opts.force, marker="summary.json") as staging:
        if resume is not None:
            resume.open()
        progress.start("goe qc", plan.n_records, "records")
        parts: list[QcPart] = run_partitions(
            Engine(opts.workers, opts.scheduler), run_qc_part, jobs, progress, read=[info.path, info.index],
            resume=resume, key=lambda j: j.region,
        )
        progress.finish()
        stats = SampleStats(len(samples))
        for p in parts:
            stats.add(p.stats)
        check_complete(info, plan, sum(p.records for p in parts))
        geno = [g for p in parts for g in p.kin_genotypes]
        genotypes = np.concatenate(geno, axis=0) if geno else np.zeros((0, len(samples)), np.int8)
        metrics = derive_metrics(stats)
        inferred = infer_sex(metrics["chrx_f"], metrics["chry_call_rate"], metrics["chrx_haploid_rate"])
        reported = ["male" if s.sex == "M" else "female" for s in samples]
        metrics["sex_mismatch"] = np.array(
            [np.nan if i == "unknown" else float(i != r) for i, r in zip(inferred, reported, strict=True)]
        )
        seq_cols = sorted({k for v in seq_values.values() for k in v})
        for col in seq_cols:
            metrics[col] = np.array([seq_values.get(sid, {}).get(col, np.nan) for sid in ids], dtype=np.float64)
        span = autosomal_span(plan.spans)
        genome_wide = span >= MIN_GENOME_SPAN
        pairs = []
        if genome_wide and genotypes.shape[0] >= MIN_KINSHIP_SNVS:
            pairs = king_robust(genotypes, SECOND_DEGREE)
        else:
            metrics["kinship"] = np.full(len(samples), np.nan)
            why = (f"{info.path.name} covers {span / 1e6:.1f} Mb of autosomes" if not genome_wide
                   else f"only {genotypes.shape[0]:,} common SNVs")
            note = (f"relatedness{'' if genome_wide else ' and within-country outliers'} not assessed: {why}; "
                    f"they need genome-wide data (at least {MIN_GENOME_SPAN / 1e6:.0f} Mb and "
                    f"{MIN_KINSHIP_SNVS:,} common SNVs)")
            warnings.append(note)
            log.warning(note)
        countries = [s.country for s in samples]
        checks = [c for c in profile.checks if c.level in ("sequencing", "sample")]
        decisions = decide(checks, metrics, countries, ids, pairs, outliers=genome_wide)
        n = len(samples)
        n_fail = decisions.status.count("fail")
        cohort = cohort_checks(
            profile.level("cohort"),
            {"n_samples": float(n), "female_fraction": reported.count("female") / n, "fail_fraction": n_fail / n},
        )
        tables = QcTables(
            samples=samples, inferred_sex=inferred, metrics=metrics, decisions=decisions, pairs=pairs,
            counts=stats.counts, n_kinship_snvs=int(genotypes.shape[0]), relationship=relationship,
        )
        summary = {
            "goe_version": __version__,
            "profile": profile.summary(),
            "assembly": assembly.name,
            "input": {"file": info.path.name, "records": int(sum(p.records for p in parts))},
            "kinship_snvs": int(genotypes.shape[0]),
            "autosomal_span_bp": span,
            "cohort_checks": cohort,
            "not_assessed": decisions.not_assessed,
        }
        result_tables = write_outputs(staging.path, tables, summary, [c for c in checks])
        staging.publish()
    if resume is not None:
        resume.clear()
    return QcResult(opts.out, result_tables.summary, result_tables.samples, result_tables.relatedness, warnings,
                    len(jobs), resume.reused if resume else 0)
