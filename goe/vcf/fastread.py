"""The fast reader: bgzipped VCF text decoded by goe's C decoder into :class:`RecordBatch` arrays.

cyvcf2 decodes one record at a time into Python objects; this reader inflates
whole BGZF blocks (libdeflate) and hands megabytes of text to ``goe.vcf._textvcf``,
which fills the batch arrays directly. It starts at the index's virtual offset
for the region (planned with the partitions). It gives exactly the batches of
the cyvcf2 reader (tests compare both on every test VCF); anything it does not
understand raises :class:`FastPathError`, and :func:`goe.vcf.reader.iter_batches`
carries on with cyvcf2 from the same record, which reports real errors in
htslib's words. BCF input always takes the cyvcf2 reader.
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Iterator, Sequence
from pathlib import Path

import deflate
import numpy as np

from goe.vcf.partition import Region
from goe.vcf.sniff import is_bcf

try:
    from goe.vcf import _textvcf  # type: ignore[attr-defined]
except ImportError:  # built without a C compiler: the cyvcf2 reader does all the work
    _textvcf = None


_DONTNEED = getattr(mmap, "MADV_DONTNEED", None)  # not on every platform
TEXT_BYTES = 4 << 20  # text inflated at a time (about 1 MB of compressed VCF, 0.25 MB if GT only)


class FastPathError(Exception):
    """The fast reader cannot decode this input; read it with htslib instead."""


def available() -> bool:
    """Whether the C decoder is built (and not switched off with ``GOE_READER=htslib``)."""
    return _textvcf is not None and os.environ.get("GOE_READER", "") != "htslib"


def usable(path: Path, region: Region) -> bool:
    """Whether this region of this file can take the fast reader."""
    return available() and region.voff is not None and not is_bcf(path)


def _inflate(path: Path, voff: int) -> Iterator[list[bytes | bytearray]]:
    """Decompressed text from virtual offset ``voff`` on, a few blocks at a time.

    The file is memory-mapped: blocks are inflated from the page cache, never copied first.
    """
    coff, uoff = voff >> 16, voff & 0xFFFF
    with path.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if coff >= size:
            return
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            view = memoryview(mm)
            try:
                yield from _blocks(mm, view, coff, uoff)
            finally:
                view.release()  # before the map closes, also when the reader stops early


def _blocks(mm: mmap.mmap, view: memoryview, i: int, uoff: int) -> Iterator[list[bytes | bytearray]]:
    n = len(view)
    done = i - i % mmap.PAGESIZE  # pages before this were inflated: dropped from this process's map
    out: list[bytes | bytearray] = []
    got = 0
    while n - i >= 18:
        if view[i : i + 4] != b"\x1f\x8b\x08\x04" or view[i + 12 : i + 14] != b"BC":
            raise FastPathError("not a standard BGZF block")
        bsize = struct.unpack_from("<H", view, i + 16)[0] + 1
        if n - i < bsize:
            break
        crc, isize = struct.unpack_from("<II", view, i + bsize - 8)
        try:  # libdeflate: 1.4x ISA-L's speed here, 3x zlib's; the footer gives the size
            text = deflate.deflate_decompress(view[i + 18 : i + bsize - 8], isize) if isize else b""
        except deflate.DeflateError as exc:
            raise FastPathError(f"BGZF block does not inflate ({exc})") from None
        if len(text) != isize or deflate.crc32(text) != crc:
            raise FastPathError("BGZF block fails its CRC/size check")
        if uoff:
            text, uoff = text[uoff:], 0
        out.append(text)
        got += len(text)
        i += bsize
        if got >= TEXT_BYTES:
            yield out
            out, got = [], 0
            upto = i - i % mmap.PAGESIZE
            if upto > done and _DONTNEED is not None:
                # file pages stay in the page cache; only this map's (resident) share is let go,
                # so a worker's memory does not grow with the size of its region
                mm.madvise(_DONTNEED, done, upto - done)
                done = upto
    if n - i:
        raise FastPathError("truncated BGZF block")
    if out:
        yield out


def iter_batches_fast(
    path: Path,
    region: Region,
    all_samples: Sequence[str],
    samples: Sequence[str],
    info_keys: Sequence[str],
    info_float: Sequence[bool],
    want: frozenset[str],
    batch_size: int,
    mask: tuple[float, ...] | None = None,
) -> Iterator[tuple[dict, int]]:
    """Yield (batch fields, records) for the records of ``region``; raises :class:`FastPathError`.

    ``mask`` (see :func:`goe.vcf.reader.iter_batches`) is applied as the text is decoded; the
    counts of masked genotypes (GQ, DP, AB, in all) come in the fields as ``masked``.
    """
    assert _textvcf is not None
    assert region.voff is not None
    index = {s: i for i, s in enumerate(samples)}
    col_map = np.array([index.get(s, -1) for s in all_samples], dtype=np.int32)
    n = len(samples)
    contig = region.contig.encode()
    end = -1 if region.end is None else region.end
    keys = tuple(k.encode() for k in info_keys)
    floats = tuple(bool(f) for f in info_float)
    text: bytes | bytearray | memoryview = b""
    store = memoryview(bytearray())  # reused for the text of each chunk: no fresh pages to fault in
    offset = 0
    chunks = _inflate(path, region.voff)
    final = False
    first = True  # the first line must be a record of this contig (else the index is another file's)
    arrays = _alloc(batch_size, n, len(keys), want)
    filled = 0
    masked = np.zeros(4, dtype=np.int64)
    fields: dict = {"ids": [], "refs": [], "alts": [], "filters": [], "masked": masked if mask else None}
    while True:
        try:
            got, offset, status, ids, refs, alts, filters = _textvcf.parse(
                text, offset, final, first, contig, region.start, end, col_map, n, batch_size - filled,
                *_views(arrays, filled, batch_size), keys, floats, arrays["info"][filled:] if keys else None,
                mask, masked,
            )
        except ValueError as exc:
            raise FastPathError(str(exc)) from None
        if got or offset or status:
            first = False  # a line was looked at
        filled += got
        fields["ids"] += ids
        fields["refs"] += refs
        fields["alts"] += alts
        fields["filters"] += filters
        if filled == batch_size or (status == 2 and filled):
            yield _batch(arrays, fields, filled), filled
            arrays = _alloc(batch_size, n, len(keys), want)
            filled = 0
            masked = np.zeros(4, dtype=np.int64)
            fields = {"ids": [], "refs": [], "alts": [], "filters": [], "masked": masked if mask else None}
        if status == 2:
            return
        if status == 0:
            if final:
                return
            rest = bytes(text[offset:])  # the start of a line (small)
            offset = 0
            nxt = next(chunks, None)
            if nxt is None:
                final = True
                text = rest
            else:  # the partial line, then the new text
                need = len(rest) + sum(len(b) for b in nxt)
                if len(store) < need:
                    store = memoryview(bytearray(need + need // 4))
                store[: len(rest)] = rest
                at = len(rest)
                for b in nxt:
                    store[at : at + len(b)] = b
                    at += len(b)
                text = store[:at]


def _alloc(cap: int, n: int, n_info: int, want: frozenset[str]) -> dict:
    return {
        "pos": np.empty(cap, dtype=np.int64),
        "qual": np.empty(cap, dtype=np.float64),
        "gt": np.empty((cap, n, 2), dtype=np.int16),
        "gq": np.empty((cap, n), dtype=np.int32) if "GQ" in want else None,
        "dp": np.empty((cap, n), dtype=np.int32) if "DP" in want else None,
        "ad": np.empty((cap, n, 2), dtype=np.int32) if "AD" in want else None,
        "ad_ref": np.empty((cap, n), dtype=np.int32) if "AD_REF" in want else None,
        "info": np.empty((cap, n_info), dtype=np.float64),  # record-major: the decoder writes all keys
    }


def _views(arrays: dict, start: int, cap: int) -> list[object]:
    """The arrays from record ``start`` on, as the C decoder's output buffers (None when not wanted)."""
    keys = ("pos", "qual", "gt", "gq", "dp", "ad", "ad_ref")
    return [None if arrays[k] is None else arrays[k][start:cap] for k in keys]


def _batch(arrays: dict, fields: dict, size: int) -> dict:
    out = {k: (None if v is None else v[:size]) for k, v in arrays.items()}
    out.update(fields)
    return out
