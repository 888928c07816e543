"""Picard metrics files (and the Picard-format outputs of GATK, Sentieon and Parabricks).

One generic reader (:func:`read_table`) turns the ``## METRICS CLASS`` table
into rows; five kinds map columns to standard names:

- ``picard_wgs`` (CollectWgsMetrics): MEAN_COVERAGE -> ``mean_autosome_coverage``,
  MEDIAN_COVERAGE -> ``median_autosome_coverage``, MAD_COVERAGE ->
  ``mad_autosome_coverage``, PCT_15X/20X/30X -> ``pct_autosomes_15x/20x/30x``;
- ``picard_alignment_summary``: the PAIR row (else the only row):
  PCT_PF_READS_ALIGNED -> ``pct_mapped``, TOTAL_READS -> ``total_reads``;
- ``picard_duplicates`` (MarkDuplicates): PERCENT_DUPLICATION -> ``pct_duplicates``,
  libraries without reads are ignored and several libraries are combined by read counts;
- ``picard_insert_size``: the FR row (else the one with most READ_PAIRS):
  MEDIAN_INSERT_SIZE, MEAN_INSERT_SIZE -> ``median_insert_size``, ``mean_insert_size``;
- ``picard_quality_yield``: PF_Q30_BASES (else Q30_BASES) -> ``yield_bp_q30``,
  TOTAL_BASES -> ``total_bases``.

Rows broken down by SAMPLE/LIBRARY/READ_GROUP (METRIC_ACCUMULATION_LEVEL) are
ignored in favour of the all-reads rows. A file holding several metrics tables
(outputs concatenated) and a run without reads are rejected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from goe.qc.seqmetrics import MetricsFile, SeqMetricsError
from goe.qc.seqmetrics._common import common_sample, number

_CLASS = re.compile(r"^##\s*METRICS CLASS\s+(\S+)")
_INPUT = re.compile(r"(?:\bINPUT=|--INPUT[ =]|--input[ =]|(?<!\S)-[Ii]\s+)(\[[^\]]*\]|\S+)")
_LEVEL_COLUMNS = ("SAMPLE", "LIBRARY", "READ_GROUP")

# kind -> columns that identify its table header
_SIGNATURES: dict[str, tuple[str, ...]] = {
    "picard_wgs": ("GENOME_TERRITORY", "MEAN_COVERAGE"),
    "picard_alignment_summary": ("CATEGORY", "TOTAL_READS", "PCT_PF_READS_ALIGNED"),
    "picard_duplicates": ("LIBRARY", "READ_PAIRS_EXAMINED", "PERCENT_DUPLICATION"),
    "picard_insert_size": ("MEDIAN_INSERT_SIZE", "MEAN_INSERT_SIZE", "PAIR_ORIENTATION"),
    "picard_quality_yield": ("TOTAL_READS", "TOTAL_BASES", "Q30_BASES"),
}
KINDS = tuple(_SIGNATURES)


@dataclass(frozen=True)
class Row:
    """One data row of a metrics table: its line number and its values by column."""

    line: int
    values: dict[str, str]


@dataclass(frozen=True)
class Table:
    """The metrics table of a Picard-format file."""

    class_name: str | None
    header: tuple[str, ...]
    header_line: int
    rows: tuple[Row, ...]
    command: str | None


def _first_table_header(head: str) -> list[str] | None:
    for line in head.splitlines():
        if line.strip() and not line.startswith("#"):
            return [c.strip() for c in line.split("\t")]
    return None


def kind_of(head: str) -> str | None:
    """The Picard kind of a file from its first lines, or ``None``."""
    header = _first_table_header(head)
    if header is None:
        return None
    columns = set(header)
    for kind, needed in _SIGNATURES.items():
        if all(c in columns for c in needed):
            if kind == "picard_quality_yield" and "CATEGORY" in columns:
                continue
            return kind
    return None


def class_name(head: str) -> str | None:
    """The ``## METRICS CLASS`` of a Picard metrics file (short name), or ``None``."""
    for line in head.splitlines():
        m = _CLASS.match(line)
        if m:
            return re.split(r"[.$]", m.group(1))[-1]
    return None


def read_table(path: Path, lines: list[str]) -> Table:
    """Read the metrics table of a Picard-format file; raise on several tables or a repeated header."""
    classes = [(i, m.group(1)) for i, line in enumerate(lines, start=1) if (m := _CLASS.match(line))]
    if len(classes) > 1:
        where = " and ".join(str(i) for i, _ in classes[:2])
        raise SeqMetricsError(
            f"{path}: holds {len(classes)} Picard metrics tables (METRICS CLASS at lines {where}), "
            "e.g. outputs of several runs joined into one file",
            hint="give one metrics file per sample and tool",
        )
    command: str | None = None
    header: list[str] | None = None
    header_line = 0
    rows: list[Row] = []
    for lineno, line in enumerate(lines, start=1):
        if header is None:
            if line.startswith("#"):
                if command is None and not line.startswith("##") and not line.startswith("# Started on"):
                    command = line.lstrip("#").removeprefix("SentieonCommandLine:").strip() or None
            elif line.strip():
                header, header_line = [f.strip() for f in line.split("\t")], lineno
            continue
        if line.startswith("#") or not line.strip():
            break  # the end of the table (a histogram may follow)
        fields = [f.strip() for f in line.split("\t")]
        if fields[:3] == header[:3]:
            raise SeqMetricsError(
                f"{path} line {lineno}: the table header repeats (first at line {header_line}), "
                "e.g. outputs of several runs joined into one file",
                hint="give one metrics file per sample and tool",
            )
        extra = [f for f in fields[len(header):] if f]
        if extra:
            raise SeqMetricsError(
                f"{path} line {lineno}: {len(fields)} values for {len(header)} columns",
                hint="give the unmodified metrics file",
            )
        padded = fields + [""] * (len(header) - len(fields))
        rows.append(Row(lineno, dict(zip(header, padded, strict=False))))
    if header is None:
        raise SeqMetricsError(f"{path}: no metrics table found", hint="give the unmodified metrics file")
    return Table(classes[0][1] if classes else None, tuple(header), header_line, tuple(rows), command)


def _hint(table: Table) -> str | None:
    sample_values = {r.values.get("SAMPLE", "") for r in table.rows} - {""}
    if len(sample_values) == 1:
        return sample_values.pop()
    if table.command is None:
        return None
    inputs: list[str] = []
    for m in _INPUT.finditer(table.command):
        value = m.group(1)
        if value.startswith("["):
            inputs.extend(v.strip() for v in value.strip("[]").split(",") if v.strip())
        else:
            inputs.append(value)
    return common_sample(inputs)


def _all_reads_rows(table: Table) -> list[Row]:
    """Rows for all reads: those not broken down by SAMPLE/LIBRARY/READ_GROUP."""
    return [r for r in table.rows if not any(r.values.get(c, "") for c in _LEVEL_COLUMNS)]


def _num(path: Path, row: Row, column: str) -> float | None:
    if column not in row.values:
        return None
    try:
        return number(row.values[column])
    except ValueError:
        raise SeqMetricsError(
            f"{path} line {row.line}: {column} is '{row.values[column]}', not a number",
            hint="give the unmodified metrics file",
        ) from None


def _fill(path: Path, row: Row, mapping: dict[str, str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for column, name in mapping.items():
        value = _num(path, row, column)
        if value is not None:
            out[name] = value
    return out


def _no_reads(path: Path, line: int, what: str, tool: str) -> SeqMetricsError:
    return SeqMetricsError(
        f"{path} line {line}: the run has no reads ({what})",
        hint=f"run {tool} on the sample's final BAM/CRAM, or remove the file",
    )


def _single_row(path: Path, table: Table, tool: str) -> Row:
    rows = _all_reads_rows(table)
    if not rows:
        raise SeqMetricsError(
            f"{path} line {table.header_line}: the metrics table has no data row (an empty run?)",
            hint=f"run {tool} on the sample's final BAM/CRAM, or remove the file",
        )
    if len(rows) > 1:
        raise SeqMetricsError(
            f"{path}: the metrics table has {len(rows)} rows (lines {rows[0].line}-{rows[-1].line}), expected one",
            hint="give one metrics file per sample",
        )
    return rows[0]


def _wgs(path: Path, table: Table) -> dict[str, float]:
    rows = table.rows
    if "CATEGORY" in table.header:  # CollectWgsMetricsWithNonZeroCoverage
        rows = tuple(r for r in rows if r.values.get("CATEGORY") == "WHOLE_GENOME")
    row = _single_row(path, Table(table.class_name, table.header, table.header_line, rows, None), "CollectWgsMetrics")
    return _fill(path, row, {
        "MEAN_COVERAGE": "mean_autosome_coverage",
        "MEDIAN_COVERAGE": "median_autosome_coverage",
        "MAD_COVERAGE": "mad_autosome_coverage",
        "PCT_15X": "pct_autosomes_15x",
        "PCT_20X": "pct_autosomes_20x",
        "PCT_30X": "pct_autosomes_30x",
    })


def _alignment_summary(path: Path, table: Table) -> dict[str, float]:
    rows = _all_reads_rows(table)
    by_category = {r.values.get("CATEGORY", ""): r for r in rows}
    if "PAIR" in by_category:
        row = by_category["PAIR"]
    elif len(rows) == 1:
        row = rows[0]
    elif not rows:
        row = _single_row(path, table, "CollectAlignmentSummaryMetrics")  # raises: empty table
    else:
        raise SeqMetricsError(
            f"{path}: no PAIR row among the categories {', '.join(sorted(by_category))}",
            hint="give the unmodified CollectAlignmentSummaryMetrics output",
        )
    total = _num(path, row, "TOTAL_READS")
    if not total:
        raise _no_reads(path, row.line, "TOTAL_READS is 0", "CollectAlignmentSummaryMetrics")
    return _fill(path, row, {"PCT_PF_READS_ALIGNED": "pct_mapped", "TOTAL_READS": "total_reads"})


def _duplicates(path: Path, table: Table) -> dict[str, float]:
    used: list[tuple[Row, float, float]] = []  # row, duplicate reads, examined reads
    for row in table.rows:
        unpaired = _num(path, row, "UNPAIRED_READS_EXAMINED") or 0.0
        pairs = _num(path, row, "READ_PAIRS_EXAMINED") or 0.0
        if unpaired + pairs == 0:
            continue  # a library without reads (e.g. a blank or empty read group)
        duplicates = (_num(path, row, "UNPAIRED_READ_DUPLICATES") or 0.0) + 2 * (
            _num(path, row, "READ_PAIR_DUPLICATES") or 0.0
        )
        used.append((row, duplicates, unpaired + 2 * pairs))
    if not used:
        raise _no_reads(path, table.header_line, "no library has reads examined", "MarkDuplicates")
    if len(used) == 1:
        stated = _num(path, used[0][0], "PERCENT_DUPLICATION")
        if stated is not None:
            return {"pct_duplicates": stated}
    return {"pct_duplicates": sum(u[1] for u in used) / sum(u[2] for u in used)}


def _insert_size(path: Path, table: Table) -> dict[str, float]:
    rows = _all_reads_rows(table)
    if not rows:
        raise SeqMetricsError(
            f"{path} line {table.header_line}: the insert size table has no rows (no read pairs were measured)",
            hint="run CollectInsertSizeMetrics on the sample's paired-end BAM/CRAM, or remove the file",
        )
    fr = [r for r in rows if r.values.get("PAIR_ORIENTATION") == "FR"]
    row = fr[0] if fr else max(rows, key=lambda r: _num(path, r, "READ_PAIRS") or 0.0)
    return _fill(path, row, {"MEDIAN_INSERT_SIZE": "median_insert_size", "MEAN_INSERT_SIZE": "mean_insert_size"})


def _quality_yield(path: Path, table: Table) -> dict[str, float]:
    row = _single_row(path, table, "CollectQualityYieldMetrics")
    if not _num(path, row, "TOTAL_READS"):
        raise _no_reads(path, row.line, "TOTAL_READS is 0", "CollectQualityYieldMetrics")
    out = _fill(path, row, {"TOTAL_BASES": "total_bases"})
    q30 = _num(path, row, "PF_Q30_BASES")
    if q30 is None:
        q30 = _num(path, row, "Q30_BASES")
    if q30 is not None:
        out["yield_bp_q30"] = q30
    return out


_PARSERS = {
    "picard_wgs": _wgs,
    "picard_alignment_summary": _alignment_summary,
    "picard_duplicates": _duplicates,
    "picard_insert_size": _insert_size,
    "picard_quality_yield": _quality_yield,
}


def parse(path: Path, lines: list[str], kind: str) -> MetricsFile:
    """Read a Picard-format metrics file of the given kind."""
    table = read_table(path, lines)
    return MetricsFile(path, kind, _hint(table), _PARSERS[kind](path, table))
