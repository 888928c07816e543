"""What a file holds, by its first bytes rather than its name."""

from __future__ import annotations

import contextlib
import functools
import zlib
from pathlib import Path


@functools.lru_cache(maxsize=64)
def _is_bcf(path: Path, mtime_ns: int, size: int) -> bool:
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    if head[:2] == b"\x1f\x8b":  # BGZF (or plain gzip): the magic is in the first block
        with contextlib.suppress(zlib.error):
            head = zlib.decompressobj(31).decompress(head, 8)
    return head[:3] == b"BCF"


def is_bcf(path: Path) -> bool:
    """Whether ``path`` holds BCF (compressed or not), whatever its name says."""
    st = path.stat()
    return _is_bcf(path, st.st_mtime_ns, st.st_size)
