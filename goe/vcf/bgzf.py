"""A BGZF block writer whose block boundaries depend only on the data.

``boundary()`` ends the current block early; writers call it at every grid
cell, so concatenated parts give the same bytes however the input was split.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

import deflate

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
    """Write bytes as BGZF blocks to an open binary file."""

    def __init__(self, fh: BinaryIO, level: int = DEFAULT_LEVEL) -> None:
        self.fh, self.level = fh, level
        self.buf = bytearray()

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        if self.buf:  # top up the pending block first
            take = BLOCK_DATA - len(self.buf)
            self.buf += view[:take]
            view = view[take:]
            if len(self.buf) < BLOCK_DATA:
                return
            self.fh.write(compress_block(bytes(self.buf), self.level))
            self.buf.clear()
        full = len(view) - len(view) % BLOCK_DATA
        for i in range(0, full, BLOCK_DATA):  # whole blocks straight from the caller's bytes
            self.fh.write(compress_block(view[i : i + BLOCK_DATA], self.level))
        self.buf += view[full:]

    def boundary(self) -> None:
        """End the current block here (no-op when empty)."""
        if self.buf:
            self.fh.write(compress_block(bytes(self.buf), self.level))
            self.buf.clear()

    def close(self, eof: bool = True) -> None:
        self.boundary()
        if eof:
            self.fh.write(BGZF_EOF)
