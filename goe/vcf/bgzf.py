"""A BGZF block writer whose block boundaries depend only on the data.

``boundary()`` ends the current block early; writers call it at every grid
cell, so concatenated parts give the same bytes however the input was split.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

import deflate
import numpy as np

from goe.vcf.reader import BGZF_EOF

BLOCK_DATA = 0xFF00  # what htslib puts in one block

# libdeflate (as htslib uses when built with it), not zlib or ISA-L: at level 1 it is twice as
# fast as zlib's level 1 with 13% smaller blocks, and its output depends only on the data and
# the level. ISA-L's can depend on memory left over in the process (seen here: the same block
# compressed to different bytes in two runs), and packages must be byte-identical.
DEFAULT_LEVEL = 1


def compress_block(data: bytes | memoryview, level: int = DEFAULT_LEVEL) -> bytes:
    """One BGZF block holding ``data`` (at most 64 KiB)."""
    payload = deflate.deflate_compress(data, level)
    if len(payload) > 0xFFFF - 25:  # incompressible: store it
        payload = deflate.deflate_compress(data, 0)
    header = struct.pack("<4BI2BH2BHH", 0x1F, 0x8B, 8, 4, 0, 0, 0xFF, 6, 66, 67, 2, len(payload) + 25)
    return header + payload + struct.pack("<II", deflate.crc32(data) & 0xFFFFFFFF, len(data))


class BgzfWriter:
    """Write bytes as BGZF blocks to an open binary file.

    ``block_starts`` keeps, for every block written, the uncompressed position of its first
    byte and the compressed offset of the block (both from where this writer started), so
    :meth:`voffsets` can turn stream positions into virtual offsets.
    """

    def __init__(self, fh: BinaryIO, level: int = DEFAULT_LEVEL) -> None:
        self.fh, self.level = fh, level
        self.buf = bytearray()
        self.ustarts: list[int] = []
        self.cstarts: list[int] = []
        self._u = self._c = 0

    def _emit(self, data: bytes | memoryview) -> None:
        block = compress_block(data, self.level)
        self.ustarts.append(self._u)
        self.cstarts.append(self._c)
        self._u += len(data)
        self._c += len(block)
        self.fh.write(block)

    def voffsets(self, positions: np.ndarray, ends: bool = False) -> np.ndarray:
        """Virtual offsets of uncompressed stream positions (all written already).

        With ``ends``, a position at a block boundary is the end of the block before it
        (as htslib reports the offset after a record), else the start of the next.
        """
        if not len(positions):
            return np.zeros(0, dtype=np.int64)
        ustarts = np.asarray(self.ustarts, dtype=np.int64)
        k = np.searchsorted(ustarts, positions, side="left" if ends else "right") - 1
        k = np.maximum(k, 0)
        return (np.asarray(self.cstarts, dtype=np.int64)[k] << 16) | (positions - ustarts[k])

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        if self.buf:  # top up the pending block first
            take = BLOCK_DATA - len(self.buf)
            self.buf += view[:take]
            view = view[take:]
            if len(self.buf) < BLOCK_DATA:
                return
            self._emit(bytes(self.buf))
            self.buf.clear()
        full = len(view) - len(view) % BLOCK_DATA
        for i in range(0, full, BLOCK_DATA):  # whole blocks straight from the caller's bytes
            self._emit(view[i : i + BLOCK_DATA])
        self.buf += view[full:]

    def boundary(self) -> None:
        """End the current block here (no-op when empty)."""
        if self.buf:
            self._emit(bytes(self.buf))
            self.buf.clear()

    def close(self, eof: bool = True) -> None:
        self.boundary()
        if eof:
            self.fh.write(BGZF_EOF)
