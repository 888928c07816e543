"""Helpers shared by the parsers: reading text (plain or gzip), numbers, sample names."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from goe.qc.seqmetrics import SeqMetricsError

HEAD_BYTES = 65536
_GZIP_MAGIC = b"\x1f\x8b"
_COMMA_DECIMAL = re.compile(r"^-?\d+,\d+$")
_MISSING = {"", "?", "na", "nan", "null", "none"}
_ALIGNMENT_EXT = re.compile(r"\.(bam|cram|sam)$", re.IGNORECASE)


def _raw(path: Path, limit: int | None) -> bytes:
    with open(path, "rb") as fh:
        magic = fh.read(2)
        fh.seek(0)
        if magic == _GZIP_MAGIC:
            with gzip.open(fh) as gz:
                try:
                    return gz.read(limit) if limit is not None else gz.read()
                except (OSError, EOFError):
                    return b"\x00"  # a truncated or non-gzip stream: treat as binary
        return fh.read(limit) if limit is not None else fh.read()


def read_head(path: Path, limit: int = HEAD_BYTES) -> str | None:
    """The first ``limit`` bytes of ``path`` as text (gzip is decompressed); ``None`` if binary or unreadable."""
    try:
        data = _raw(path, limit)
    except OSError:
        return None
    if b"\x00" in data:
        return None
    return data.decode("utf-8", errors="replace")


def read_lines(path: Path) -> list[str]:
    """All lines of ``path`` (gzip is decompressed), without line ends; raise on unreadable or binary files."""
    try:
        data = _raw(path, None)
    except FileNotFoundError:
        raise SeqMetricsError(f"{path}: file not found", hint="check the path") from None
    except OSError as exc:
        raise SeqMetricsError(
            f"{path}: cannot read the file ({exc.strerror or exc})", hint="check its permissions"
        ) from None
    if b"\x00" in data:
        raise SeqMetricsError(f"{path}: not a text file", hint="give the QC tool's text output")
    return data.decode("utf-8", errors="replace").splitlines()


def number(text: str) -> float | None:
    """Parse a metric value: ``None`` for empty, ``?`` or ``NA``; accepts a decimal comma (``306,378678``).

    Raises :class:`ValueError` for anything else that is not a number.
    """
    value = text.strip()
    if value.lower() in _MISSING:
        return None
    if _COMMA_DECIMAL.match(value):
        value = value.replace(",", ".")
    return float(value)


def sample_from_file_name(name: str) -> str | None:
    """A sample name from an alignment file path: the base name up to its first dot (``A1.sorted.bam`` -> ``A1``)."""
    base = name.strip().strip("'\"").rstrip("/").rsplit("/", 1)[-1]
    if not base or base == "-":
        return None
    stem = base.split(".", 1)[0]
    return stem or None


def common_sample(inputs: list[str]) -> str | None:
    """The sample named by all ``inputs`` (alignment file paths), or ``None`` when there are none or they differ."""
    names = {sample_from_file_name(i) for i in inputs}
    names.discard(None)
    if len(names) == 1:
        return names.pop()
    return None


def is_alignment_file(token: str) -> bool:
    """Whether ``token`` looks like a BAM/CRAM/SAM path."""
    return bool(_ALIGNMENT_EXT.search(token.strip("'\"")))
