"""Option parsing shared by several commands."""

from __future__ import annotations

import re

from goe.errors import UsageError

_SIZE = re.compile(r"^(\d+)([KMG]?)B?$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """``16M`` -> bytes."""
    m = _SIZE.match(text.strip())
    if not m:
        raise UsageError(f"--partition-size {text}: not a size", hint="write it like 512K, 16M or 1G")
    return int(m.group(1)) * {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[m.group(2).upper()]
