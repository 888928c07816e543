"""Sequencing metrics computed directly from a BAM or CRAM (pysam), when no QC files exist.

One pass over the reads: mapped and properly-paired rates, duplicate rate
and insert sizes over primary reads; autosomal depth from the aligned blocks
of primary, mapped, non-duplicate reads with MAPQ >= 20 (like Picard
CollectWgsMetrics, but without its base-quality filter and overlap clipping,
and over the whole contig length rather than non-N bases).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pysam

from goe.errors import InputError
from goe.genome.assemblies import canonical_contig

MIN_MAPQ = 20
AUTOSOMES = {str(i) for i in range(1, 23)}


def _open(path: Path, reference: Path | None) -> pysam.AlignmentFile:
    if not path.exists():
        raise InputError(f"{path}: alignment file not found", hint="fix the alignment column of the sample sheet")
    is_cram = path.suffix == ".cram"
    if is_cram and reference is None:
        raise InputError(f"{path}: a CRAM needs its reference", hint="give it with --reference FASTA")
    try:
        return pysam.AlignmentFile(str(path), "rc" if is_cram else "rb",
                                   reference_filename=str(reference) if reference else None)
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read as BAM/CRAM ({exc})") from None


def alignment_metrics(path: Path, reference: Path | None = None, base: Path | None = None) -> dict[str, float]:
    """Metrics of one BAM/CRAM; a relative ``path`` is taken from ``base`` (the sample sheet's folder)."""
    if not path.is_absolute() and base is not None:
        path = base / path
    total = mapped = paired = proper = dups = 0
    inserts: list[int] = []
    depth_hist = np.zeros(1001, dtype=np.int64)  # bases at depth 0..999, 1000+
    with _open(path, reference) as bam:
        lengths = dict(zip(bam.references, bam.lengths, strict=True))
        current: str | None = None
        diff: np.ndarray | None = None

        def close_contig() -> None:
            nonlocal diff
            if diff is not None:
                depth = np.cumsum(diff[:-1])
                depth_hist[:] += np.bincount(np.minimum(depth, 1000), minlength=1001)
                diff = None

        try:
            for read in bam.fetch(until_eof=True):
                if read.is_secondary or read.is_supplementary:
                    continue
                total += 1
                if read.is_paired:
                    paired += 1
                if read.is_unmapped:
                    continue
                mapped += 1
                if read.is_proper_pair:
                    proper += 1
                if read.is_duplicate:
                    dups += 1
                    continue
                if read.is_proper_pair and read.is_read1 and read.template_length != 0:
                    inserts.append(abs(read.template_length))
                contig = read.reference_name or ""
                if contig != current:
                    close_contig()
                    current = contig
                    if canonical_contig(contig or "") in AUTOSOMES:
                        diff = np.zeros(lengths[contig] + 1, dtype=np.int32)
                if diff is None or read.mapping_quality < MIN_MAPQ:
                    continue
                for start, end in read.get_blocks():
                    diff[start] += 1
                    diff[min(end, len(diff) - 1)] -= 1
            close_contig()
        except OSError as exc:
            raise InputError(f"{path}: the alignment file is truncated or corrupt ({exc})") from None
    covered = int(depth_hist.sum())
    out: dict[str, float] = {"total_reads": float(total)}
    if total:
        out["pct_mapped"] = mapped / total
        if paired:
            out["pct_properly_paired"] = proper / total
    if mapped:
        out["pct_duplicates"] = dups / mapped
    if inserts:
        out["median_insert_size"] = float(np.median(inserts))
        out["mean_insert_size"] = float(np.mean(inserts))
    all_autosomes = sum(v for k, v in lengths.items() if canonical_contig(k) in AUTOSOMES)
    if all_autosomes:
        depth_hist[0] += all_autosomes - covered  # autosomes without any read, at depth 0
        depths = np.arange(1001)
        out["mean_autosome_coverage"] = float((depth_hist * depths).sum() / all_autosomes)
        for x in (15, 20, 30):
            out[f"pct_autosomes_{x}x"] = float(depth_hist[x:].sum() / all_autosomes)
    return out
