"""``samtools stats`` output: the SN (summary numbers) and IS (insert size) sections.

Metrics: ``total_reads`` (raw total sequences), ``pct_mapped`` (reads mapped /
raw total sequences), ``pct_properly_paired`` (reads properly paired / raw
total sequences), ``pct_duplicates`` (reads duplicated / reads mapped),
``error_rate``, ``mean_insert_size`` (insert size average) and
``median_insert_size`` (from the IS histogram).

Paired metrics are left out for single-end runs (no paired reads), and
``pct_duplicates`` when no read carries the duplicate flag (duplicates were
not marked, or were removed before samtools stats ran: 0 would be wrong).
A run with no reads is rejected, and so is one where samtools stats filtered
reads out (``-f``, ``-q``, ``-F`` with flags other than secondary and
supplementary): its numbers do not describe the sample. With only secondary
and supplementary alignments filtered (``-F 0x900``), which are not reads,
the counts are taken over the ``sequences`` that remain.
"""

from __future__ import annotations

from pathlib import Path

from goe.qc.seqmetrics import MetricsFile, SeqMetricsError
from goe.qc.seqmetrics._common import is_alignment_file, number, sample_from_file_name

MARKER = "# This file was produced by samtools stats"
_COMMAND = "# The command line was:"
_NOT_READS = 0x100 | 0x800  # secondary, supplementary
_FLAG_NAMES = {"SECONDARY": 0x100, "SUPPLEMENTARY": 0x800}


def looks_like(head: str) -> bool:
    """Whether the start of a file is samtools stats output."""
    for line in head.splitlines()[:50]:
        if line.startswith(MARKER) or line.startswith("SN\traw total sequences:"):
            return True
    return False


def _hint(command: str) -> str | None:
    tokens = command.split()
    if tokens and tokens[0].endswith("stats"):
        tokens = tokens[1:]
    for token in tokens:
        if is_alignment_file(token):
            return sample_from_file_name(token)
    return None


def _flag_mask(value: str) -> int | None:
    try:
        return int(value, 0)
    except ValueError:
        pass
    mask = 0
    for name in value.upper().split(","):
        if name not in _FLAG_NAMES:
            return None
        mask |= _FLAG_NAMES[name]
    return mask


def only_non_reads_filtered(command: str | None) -> bool:
    """Whether a samtools stats command line filters nothing but secondary/supplementary alignments."""
    if command is None:
        return False
    tokens = command.split()
    found = False
    for i, token in enumerate(tokens):
        if token in ("-F", "--filtering-flag") and i + 1 < len(tokens):
            value = tokens[i + 1]
        elif token.startswith("--filtering-flag="):
            value = token.split("=", 1)[1]
        elif token.startswith("-F") and len(token) > 2:
            value = token[2:]
        elif token in ("-f", "--required-flag", "-q", "--MAPQ") or token.startswith(("-f", "-q", "--required-flag=")):
            return False
        else:
            continue
        mask = _flag_mask(value)
        if mask is None or mask & ~_NOT_READS:
            return False
        found = True
    return found


def median_from_histogram(counts: list[tuple[int, int]]) -> float | None:
    """Median of a histogram given as (value, count) pairs sorted by value; ``None`` when it is empty."""
    total = sum(c for _, c in counts)
    if total == 0:
        return None
    lower_rank, upper_rank = (total - 1) // 2, total // 2  # 0-based ranks of the middle item(s)
    seen = 0
    lower: int | None = None
    for value, count in counts:
        if count <= 0:
            continue
        if lower is None and seen + count > lower_rank:
            lower = value
        if seen + count > upper_rank:
            assert lower is not None
            return (lower + value) / 2
        seen += count
    raise AssertionError("unreachable: the ranks lie within the total")


def parse(path: Path, lines: list[str]) -> MetricsFile:
    """Read a samtools stats file."""
    sn: dict[str, tuple[int, float | None]] = {}
    histogram: list[tuple[int, int]] = []
    command: str | None = None
    for lineno, line in enumerate(lines, start=1):
        if line.startswith(_COMMAND):
            command = line[len(_COMMAND):].strip()
        elif line.startswith("SN\t"):
            fields = line.split("\t")
            if len(fields) < 3:
                raise SeqMetricsError(
                    f"{path} line {lineno}: SN line without a value", hint="give the complete samtools stats output"
                )
            key = fields[1].strip().rstrip(":")
            try:
                sn[key] = (lineno, number(fields[2]))
            except ValueError:
                raise SeqMetricsError(
                    f"{path} line {lineno}: '{key}' is '{fields[2]}', not a number",
                    hint="give the unmodified samtools stats output",
                ) from None
        elif line.startswith("IS\t"):
            fields = line.split("\t")
            try:
                histogram.append((int(fields[1]), int(fields[2])))
            except (IndexError, ValueError):
                raise SeqMetricsError(
                    f"{path} line {lineno}: malformed IS (insert size) line",
                    hint="give the unmodified samtools stats output",
                ) from None

    def value(key: str) -> float | None:
        return sn[key][1] if key in sn else None

    raw = value("raw total sequences")
    if raw is None:
        raise SeqMetricsError(
            f"{path}: no 'raw total sequences' in the SN section",
            hint="give the complete samtools stats output (the SN lines are missing or cut off)",
        )
    if raw == 0:
        raise SeqMetricsError(
            f"{path} line {sn['raw total sequences'][0]}: the run has no reads (raw total sequences: 0)",
            hint="run samtools stats on the sample's final BAM/CRAM, or remove the file",
        )
    filtered = value("filtered sequences") or 0.0
    if filtered > 0:
        if not only_non_reads_filtered(command):
            raise SeqMetricsError(
                f"{path} line {sn['filtered sequences'][0]}: samtools stats filtered out {filtered:.0f} of {raw:.0f} "
                f"reads ({command or 'command line unknown'}), so its numbers do not describe the whole sample",
                hint="rerun samtools stats without read filters (-f, -F, -q)",
            )
        raw -= filtered
    metrics: dict[str, float] = {"total_reads": raw}
    mapped = value("reads mapped")
    if mapped is not None:
        metrics["pct_mapped"] = mapped / raw
    paired = value("reads paired") or 0.0
    proper = value("reads properly paired")
    if paired > 0 and proper is not None:
        metrics["pct_properly_paired"] = proper / raw
    duplicated = value("reads duplicated") or 0.0
    if duplicated > 0 and mapped:
        metrics["pct_duplicates"] = duplicated / mapped
    error_rate = value("error rate")
    if error_rate is not None and mapped:
        metrics["error_rate"] = error_rate
    if paired > 0:
        average = value("insert size average")
        if average:
            metrics["mean_insert_size"] = average
        median = median_from_histogram(histogram)
        if median is not None:
            metrics["median_insert_size"] = median
    return MetricsFile(path, "samtools_stats", _hint(command) if command else None, metrics)
