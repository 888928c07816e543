"""Sequencing metrics from the QC files sequencing centres already have.

Each parser turns one tool's output into metrics with the standard names of
the GA4GH WGS QC standard (``mean_autosome_coverage``, ``pct_autosomes_15x``,
``cross_contamination_rate``, ``yield_bp_q30``, ...); fractions are in 0..1,
never percent. Supported kinds (detected from the content, not the name):

=============================  ==================================================
kind                           file
=============================  ==================================================
``samtools_stats``             ``samtools stats`` output
``picard_wgs``                 Picard CollectWgsMetrics (also Parabricks bammetrics)
``picard_alignment_summary``   Picard CollectAlignmentSummaryMetrics, Sentieon AlignmentStat
``picard_duplicates``          Picard/GATK MarkDuplicates(Spark), Sentieon Dedup
``picard_insert_size``         Picard CollectInsertSizeMetrics, Sentieon InsertSizeMetricAlgo
``picard_quality_yield``       Picard CollectQualityYieldMetrics
``mosdepth_summary``           ``*.mosdepth.summary.txt``
``mosdepth_global_dist``       ``*.mosdepth.global.dist.txt``
``verifybamid``                VerifyBamID 1 and 2 ``.selfSM``
=============================  ==================================================

:func:`collect_metrics` reads files and folders and assigns every file to a
sample of the sample sheet.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from goe.errors import InputError


class SeqMetricsError(InputError):
    """A sequencing QC metrics file is unreadable, of the wrong kind or not usable."""


@dataclass(frozen=True)
class MetricsFile:
    """The metrics read from one QC file."""

    path: Path
    kind: str
    sample_hint: str | None
    metrics: dict[str, float]


KINDS: tuple[str, ...] = (
    "samtools_stats",
    "picard_wgs",
    "picard_alignment_summary",
    "picard_duplicates",
    "picard_insert_size",
    "picard_quality_yield",
    "mosdepth_summary",
    "mosdepth_global_dist",
    "verifybamid",
)

# The implementation imports the two classes above, so it comes after them.
from goe.qc.seqmetrics.discover import collect_metrics, detect_kind, parse_metrics_file  # noqa: E402

__all__ = [
    "KINDS",
    "MetricsFile",
    "SeqMetricsError",
    "collect_metrics",
    "detect_kind",
    "parse_metrics_file",
]
