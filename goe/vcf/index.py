"""Read tabix (.tbi) and CSI indexes: where each contig's records lie in the file.

Only what partitioning needs: per contig, (position, compressed offset)
checkpoints and the record count htslib keeps in the pseudo-bin.
"""

from __future__ import annotations

import bisect
import gzip
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from goe.errors import VcfError

_TBI_WINDOW_SHIFT = 14


@dataclass
class ContigIndex:
    """Checkpoints of one contig: sorted (0-based position, compressed file offset)."""

    name: str | None  # None for BCF (names come from the header, by index)
    checkpoints: list[tuple[int, int]] = field(default_factory=list)
    n_records: int | None = None
    first_offset: int | None = None
    first_voff: int | None = None  # virtual offset of the contig's first record
    # (0-based position, virtual offset) with every record at or after the position at or after
    # the offset (tabix linear index; CSI bin loffsets, running maximum), sorted by position.
    linear: list[tuple[int, int]] = field(default_factory=list)

    def start_voff(self, pos1: int) -> int | None:
        """A virtual offset at or before the first record with POS >= ``pos1`` (a record start)."""
        if self.first_voff is None:
            return None
        best = self.first_voff
        i = bisect.bisect_right(self.linear, (pos1 - 1, 1 << 64)) - 1
        if i >= 0:
            best = max(best, self.linear[i][1])
        return best


@dataclass
class VcfIndex:
    """A parsed index: one :class:`ContigIndex` per reference, in file order."""

    path: Path
    kind: str  # "tbi" or "csi"
    contigs: list[ContigIndex]


def find_index(path: Path) -> Path | None:
    """The index file htslib would use for ``path`` (``.tbi`` or ``.csi``), if any."""
    for suffix in (".tbi", ".csi"):
        cand = path.with_name(path.name + suffix)
        if cand.exists():
            return cand
    return None


def read_index(index_path: Path) -> VcfIndex:
    """Parse a .tbi or .csi file."""
    try:
        data = gzip.decompress(index_path.read_bytes())
    except (OSError, EOFError, gzip.BadGzipFile):
        raise VcfError(f"{index_path}: not a valid tabix/CSI index", hint=_reindex_hint(index_path)) from None
    magic = data[:4]
    try:
        if magic == b"TBI\x01":
            return _read_tbi(index_path, data)
        if magic == b"CSI\x01":
            return _read_csi(index_path, data)
    except struct.error:
        pass
    raise VcfError(f"{index_path}: not a valid tabix/CSI index", hint=_reindex_hint(index_path))


def _running_max(points: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    best = 0
    for pos, voff in points:
        best = max(best, voff)
        out.append((pos, best))
    return out


def _reindex_hint(index_path: Path) -> str:
    return f"re-create it: bcftools index -f {index_path.name.rsplit('.', 1)[0]}"


class _Buf:
    def __init__(self, data: bytes, offset: int = 0) -> None:
        self.data, self.off = data, offset

    def take(self, fmt: str) -> tuple[int, ...]:
        vals = struct.unpack_from("<" + fmt, self.data, self.off)
        self.off += struct.calcsize("<" + fmt)
        return vals

    def raw(self, n: int) -> bytes:
        out = self.data[self.off : self.off + n]
        self.off += n
        return out


def _names(blob: bytes) -> list[str]:
    return [n.decode() for n in blob.split(b"\x00") if n]


def _read_tbi(path: Path, data: bytes) -> VcfIndex:
    buf = _Buf(data, 4)
    (n_ref,) = buf.take("i")
    buf.take("6i")
    (l_nm,) = buf.take("i")
    names = _names(buf.raw(l_nm))
    contigs = []
    for r in range(n_ref):
        ci = ContigIndex(names[r] if r < len(names) else None)
        (n_bin,) = buf.take("i")
        for _ in range(n_bin):
            bin_id, n_chunk = buf.take("Ii")
            chunks = [buf.take("QQ") for _ in range(n_chunk)]
            if bin_id == 37450 and n_chunk == 2:
                ci.first_offset = chunks[0][0] >> 16
                ci.first_voff = chunks[0][0]
                ci.n_records = chunks[1][0]
        (n_intv,) = buf.take("i")
        ioff = buf.take(f"{n_intv}Q") if n_intv else ()
        last = -1
        for i, voff in enumerate(ioff):
            coff = voff >> 16
            if voff and coff != last:
                ci.checkpoints.append((i << _TBI_WINDOW_SHIFT, coff))
                last = coff
        ci.linear = _running_max((i << _TBI_WINDOW_SHIFT, v) for i, v in enumerate(ioff) if v)
        contigs.append(ci)
    return VcfIndex(path, "tbi", contigs)


def _read_csi(path: Path, data: bytes) -> VcfIndex:
    buf = _Buf(data, 4)
    min_shift, depth, l_aux = buf.take("3i")
    aux = buf.raw(l_aux)
    names: list[str] = []
    if l_aux >= 28:
        (l_nm,) = struct.unpack_from("<i", aux, 24)
        names = _names(aux[28 : 28 + l_nm])
    (n_ref,) = buf.take("i")
    pseudo = ((1 << ((depth + 1) * 3)) - 1) // 7 + 1
    leaf_first = ((1 << (depth * 3)) - 1) // 7
    level_first = [((1 << (3 * lv)) - 1) // 7 for lv in range(depth + 1)]
    contigs = []
    for r in range(n_ref):
        ci = ContigIndex(names[r] if r < len(names) else None)
        (n_bin,) = buf.take("i")
        points: dict[int, int] = {}
        loffs: list[tuple[int, int]] = []
        for _ in range(n_bin):
            bin_id, loffset, n_chunk = buf.take("IQi")
            chunks = [buf.take("QQ") for _ in range(n_chunk)]
            if bin_id == pseudo:
                if n_chunk == 2:
                    ci.first_offset = chunks[0][0] >> 16
                    ci.first_voff = chunks[0][0]
                    ci.n_records = chunks[1][0]
                continue
            if loffset and bin_id < pseudo:
                lv = bisect.bisect_right(level_first, bin_id) - 1
                loffs.append(((bin_id - level_first[lv]) << (min_shift + 3 * (depth - lv)), loffset))
            if bin_id >= leaf_first and chunks:
                start = (bin_id - leaf_first) << min_shift
                coff = min(c[0] for c in chunks) >> 16
                points[start] = min(coff, points.get(start, coff))
        ci.checkpoints = sorted(points.items())
        ci.linear = _running_max(sorted(loffs))
        contigs.append(ci)
    return VcfIndex(path, "csi", contigs)
