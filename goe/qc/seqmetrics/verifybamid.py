"""VerifyBamID ``.selfSM``: ``cross_contamination_rate`` from FREEMIX.

VerifyBamID 1 and VerifyBamID2 write a ``#SEQ_ID``-headed table with one row;
some VerifyBamID2 releases name the column ``FREEMIX(alpha)``. The sample
hint is SEQ_ID.
"""

from __future__ import annotations

from pathlib import Path

from goe.qc.seqmetrics import MetricsFile, SeqMetricsError
from goe.qc.seqmetrics._common import number

_FREEMIX = ("FREEMIX", "FREEMIX(alpha)")


def _header(lines: list[str]) -> tuple[int, list[str]] | None:
    for lineno, line in enumerate(lines, start=1):
        if line.strip():
            return lineno, [c.strip() for c in line.split("\t")]
    return None


def looks_like(head: str) -> bool:
    """Whether the start of a file is a VerifyBamID ``.selfSM`` table."""
    found = _header(head.splitlines())
    if found is None:
        return False
    columns = found[1]
    return columns[0] == "#SEQ_ID" and any(c in columns for c in _FREEMIX)


def parse(path: Path, lines: list[str]) -> MetricsFile:
    """Read a VerifyBamID ``.selfSM`` file."""
    found = _header(lines)
    if found is None or not looks_like("\n".join(lines[found[0] - 1 : found[0]])):
        raise SeqMetricsError(f"{path}: no '#SEQ_ID ... FREEMIX' header line", hint="give the VerifyBamID .selfSM file")
    header_line, header = found
    column = next(c for c in _FREEMIX if c in header)
    rows = [(i, ln.split("\t")) for i, ln in enumerate(lines, start=1) if i > header_line and ln.strip()]
    if not rows:
        raise SeqMetricsError(
            f"{path}: the table has no data row (VerifyBamID did not finish?)",
            hint="rerun VerifyBamID on the sample's BAM/CRAM, or remove the file",
        )
    if len(rows) > 1:
        raise SeqMetricsError(
            f"{path}: {len(rows)} data rows (lines {rows[0][0]}-{rows[-1][0]}), expected one per sample",
            hint="give the .selfSM file (not .selfRG), one per sample",
        )
    lineno, fields = rows[0]
    values = dict(zip(header, (f.strip() for f in fields), strict=False))
    raw = values.get(column, "")
    try:
        freemix = number(raw)
    except ValueError:
        freemix = None
    if freemix is None or not 0.0 <= freemix <= 1.0:
        raise SeqMetricsError(
            f"{path} line {lineno}: {column} is '{raw}', not a fraction between 0 and 1",
            hint="rerun VerifyBamID on the sample's BAM/CRAM, or remove the file",
        )
    seq_id = values.get("#SEQ_ID", "")
    hint = seq_id if seq_id and seq_id.upper() != "NA" else None
    return MetricsFile(path, "verifybamid", hint, {"cross_contamination_rate": freemix})
