"""Genomic intervals (BED): callable regions of a cohort.

Kept per canonical contig as sorted, merged, half-open 0-based [start, end)
arrays, so membership of many positions is one ``searchsorted``.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from goe.errors import InputError
from goe.genome.assemblies import PRIMARY, Assembly, canonical_contig


@dataclass
class Intervals:
    """Merged intervals per canonical contig (``1``..``22``, ``X``, ``Y``, ``MT``)."""

    by_contig: dict[str, np.ndarray] = field(default_factory=dict)  # (n, 2) int64, 0-based half-open

    def contains(self, contig: str, positions: np.ndarray) -> np.ndarray:
        """Which 1-based ``positions`` on canonical ``contig`` lie inside an interval."""
        iv = self.by_contig.get(contig)
        pos0 = np.asarray(positions, dtype=np.int64) - 1
        if iv is None or len(iv) == 0:
            return np.zeros(len(pos0), dtype=bool)
        k = np.searchsorted(iv[:, 0], pos0, side="right") - 1
        ok = k >= 0
        out = np.zeros(len(pos0), dtype=bool)
        out[ok] = pos0[ok] < iv[k[ok], 1]
        return out

    @property
    def total_bp(self) -> int:
        return int(sum(int((iv[:, 1] - iv[:, 0]).sum()) for iv in self.by_contig.values()))

    def to_bed(self, name: Callable[[str], str]) -> str:
        """BED text in canonical contig order, contig names through ``name``."""
        lines = []
        for contig in PRIMARY:
            for start, end in self.by_contig.get(contig, np.zeros((0, 2), np.int64)).tolist():
                lines.append(f"{name(contig)}\t{start}\t{end}\n")
        return "".join(lines)


def _merge(raw: list[tuple[int, int]]) -> np.ndarray:
    if not raw:
        return np.zeros((0, 2), dtype=np.int64)
    arr = np.array(sorted(raw), dtype=np.int64)
    merged = [arr[0].tolist()]
    for start, end in arr[1:].tolist():
        if start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return np.array(merged, dtype=np.int64)


def read_bed(path: Path, assembly: Assembly) -> Intervals:
    """Read a BED (plain or gzip); intervals on non-primary contigs are left out, overlaps merged."""
    try:
        raw_bytes = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: BED file not found") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the BED file ({exc.strerror})") from None
    if raw_bytes[:2] == b"\x1f\x8b":
        raw_bytes = gzip.decompress(raw_bytes)
    raw: dict[str, list[tuple[int, int]]] = {}
    for lineno, line in enumerate(raw_bytes.decode("utf-8", errors="replace").splitlines(), start=1):
        if not line.strip() or line.startswith(("#", "track", "browser")):
            continue
        fields = line.split("\t")
        if len(fields) < 3:
            raise InputError(f"{path} line {lineno}: a BED line needs chrom, start and end separated by tabs")
        try:
            start, end = int(fields[1]), int(fields[2])
        except ValueError:
            raise InputError(f"{path} line {lineno}: start and end must be whole numbers") from None
        contig = canonical_contig(fields[0])
        if contig is None:
            continue
        if start < 0 or end < start:
            raise InputError(
                f"{path} line {lineno}: invalid interval {start}-{end}", hint="BED is 0-based, with end > start"
            )
        if end > assembly.lengths[contig]:
            raise InputError(
                f"{path} line {lineno}: {fields[0]}:{end:,} lies beyond the end of {contig} in {assembly.name}",
                hint="check that the BED uses the same assembly as the VCF",
            )
        raw.setdefault(contig, []).append((start, end))
    if not raw:
        raise InputError(f"{path}: no interval on a primary chromosome", hint="give the cohort's callable regions")
    return Intervals({c: _merge(v) for c, v in raw.items()})
