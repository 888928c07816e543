"""Records of a VCF/BCF opened with cyvcf2, with a read failure turned into a typed exception."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


class UnreadableRecord(Exception):
    """Record ``n`` (1-based) could not be read; ``last`` is the last record that could (``None``: none)."""

    def __init__(self, n: int, last: Any | None) -> None:
        super().__init__(n, last)
        self.n, self.last = n, last


def readable_records(vcf: Any) -> Iterator[Any]:
    """The records of ``vcf``; a truncated or corrupt one raises :class:`UnreadableRecord`."""
    it, n, last = iter(vcf), 0, None
    while True:
        try:
            rec = next(it)
        except StopIteration:
            return
        except Exception:  # cyvcf2 raises a bare Exception when htslib cannot read a record
            raise UnreadableRecord(n + 1, last) from None
        n, last = n + 1, rec
        yield rec
