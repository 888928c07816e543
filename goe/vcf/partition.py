"""Split an indexed VCF/BCF into regions of similar compressed size.

Cuts fall only on a fixed genomic grid (:data:`GRID` bp). Writers start a new
output block at every grid cell, so the output bytes depend on the data
alone, never on where the cuts fall or how many workers ran.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from goe.errors import UsageError
from goe.vcf.index import VcfIndex

GRID = 1 << 20  # 1 Mbp
DEFAULT_PARTITION_BYTES = 16 << 20  # the largest partition goe plans by itself
MIN_AUTO_PARTITION_BYTES = 1 << 20
AUTO_PARTITIONS = 32


def auto_partition_bytes(file_size: int) -> int:
    """Partition size when none is given: 16 MB, less for small inputs, so that there are
    about 32 partitions to share among workers (but none under 1 MB)."""
    return max(MIN_AUTO_PARTITION_BYTES, min(DEFAULT_PARTITION_BYTES, file_size // AUTO_PARTITIONS))


@dataclass(frozen=True)
class Region:
    """Records whose POS is in [start, end] (1-based, inclusive; ``end`` None = to contig end)."""

    contig: str
    start: int
    end: int | None
    est_bytes: int
    order: int
    voff: int | None = None  # index's virtual offset at or before the region's first record

    def query(self) -> str:
        """htslib region string."""
        return f"{self.contig}:{self.start}-" + ("" if self.end is None else str(self.end))

    def contains(self, pos: int) -> bool:
        return pos >= self.start and (self.end is None or pos <= self.end)

    def __str__(self) -> str:
        return self.query()


def plan_regions(
    index: VcfIndex,
    contig_names: list[str],
    keep: set[str],
    file_size: int,
    target_bytes: int = DEFAULT_PARTITION_BYTES,
) -> list[Region]:
    """Plan regions over the contigs in ``keep`` that hold records, in file order.

    ``contig_names`` names the index's references when the index does not (BCF).
    """
    refs = []
    for i, ci in enumerate(index.contigs):
        name = ci.name if ci.name is not None else (contig_names[i] if i < len(contig_names) else None)
        if name is None or ci.first_offset is None and not ci.checkpoints:
            continue
        start_off = ci.first_offset if ci.first_offset is not None else ci.checkpoints[0][1]
        refs.append((name, ci, start_off))
    refs.sort(key=lambda r: r[2])
    regions: list[Region] = []
    for j, (name, ci, start_off) in enumerate(refs):
        end_off = refs[j + 1][2] if j + 1 < len(refs) else file_size
        if name not in keep or (ci.n_records is not None and ci.n_records == 0):
            continue
        for start, end, nbytes in _cuts(ci.checkpoints, start_off, end_off, target_bytes):
            regions.append(Region(name, start, end, nbytes, len(regions), ci.start_voff(start)))
    return regions


def _cuts(
    checkpoints: list[tuple[int, int]], start_off: int, end_off: int, target: int
) -> list[tuple[int, int | None, int]]:
    """Cut one contig into (start, end, bytes) pieces on grid boundaries."""
    total = max(end_off - start_off, 0)
    if total <= target or len(checkpoints) < 2:
        return [(1, None, total)]
    # Offset at the start of each grid cell that has a checkpoint.
    cell_off: dict[int, int] = {}
    for pos0, off in checkpoints:
        cell = pos0 // GRID
        cell_off.setdefault(cell, off)
    cells = sorted(cell_off)
    pieces: list[tuple[int, int | None, int]] = []
    piece_start_cell, piece_start_off = 0, start_off
    for cell in cells[1:]:
        off = cell_off[cell]
        if off - piece_start_off >= target:
            pieces.append((piece_start_cell * GRID + 1, cell * GRID, off - piece_start_off))
            piece_start_cell, piece_start_off = cell, off
    pieces.append((piece_start_cell * GRID + 1, None, end_off - piece_start_off))
    return pieces


_SIZE = re.compile(r"^(\d+)([KMG]?)B?$", re.IGNORECASE)


def parse_size(text: str, what: str = "--partition-size") -> int:
    """``16M`` -> bytes."""
    m = _SIZE.match(text.strip())
    if not m:
        raise UsageError(f"{what} {text}: not a size", hint="write it like 512K, 16M or 1G")
    return int(m.group(1)) * {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[m.group(2).upper()]
