"""A BGZF block writer whose block boundaries depend only on the data.

``boundary()`` ends the current block early; writers call it at every grid
cell, so concatenated parts give the same bytes however the input was split.
"""

from __future__ import annotations

import struct
import zlib
from typing import BinaryIO

from goe.vcf.reader import BGZF_EOF

BLOCK_DATA = 0xFF00  # what htslib puts in one block

# zlib, not ISA-L: ISA-L's output can depend on memory left over in the process (seen here:
# the same block compressed to different bytes in two runs), and packages must be
# byte-identical. Level 1 is 4x faster than zlib's default and 40% larger.
DEFAULT_LEVEL = 1


def compress_block(data: bytes, level: int = DEFAULT_LEVEL) -> bytes:
    """One BGZF block holding ``data`` (at most 64 KiB)."""
    comp = zlib.compressobj(level, zlib.DEFLATED, -15)
    payload = comp.compress(data) + comp.flush()
    if len(payload) > 0xFFFF - 25:  # incompressible: store it
        comp = zlib.compressobj(0, zlib.DEFLATED, -15)
        payload = comp.compress(data) + comp.flush()
    header = struct.pack("<4BI2BH2BHH", 0x1F, 0x8B, 8, 4, 0, 0, 0xFF, 6, 66, 67, 2, len(payload) + 25)
    return header + payload + struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data))


class BgzfWriter:
    """Write bytes as BGZF blocks to an open binary file."""

    def __init__(self, fh: BinaryIO, level: int = DEFAULT_LEVEL) -> None:
        self.fh, self.level = fh, level
        self.buf = bytearray()

    def write(self, data: bytes) -> None:
        self.buf += data
        while len(self.buf) >= BLOCK_DATA:
            self.fh.write(compress_block(bytes(self.buf[:BLOCK_DATA]), self.level))
            del self.buf[:BLOCK_DATA]

    def boundary(self) -> None:
        """End the current block here (no-op when empty)."""
        if self.buf:
            self.fh.write(compress_block(bytes(self.buf), self.level))
            self.buf.clear()

    def close(self, eof: bool = True) -> None:
        self.boundary()
        if eof:
            self.fh.write(BGZF_EOF)
