"""Which records and ALT alleles a frequency package can carry.

GDI nodes take only REF/ALT made of A, C, G, T, N. Symbolic ALTs
(``<DEL>``, ``<CN0>``, breakends) and the spanning deletion ``*`` are left
out; every exclusion is counted.
"""

from __future__ import annotations

from collections import Counter

import numpy as np


def _bases(s: str) -> bool:
    """Whether ``s`` (upper-cased) is non-empty and made of A, C, G, T, N only."""
    return bool(s) and not s.strip("ACGTN")


def classify_alt(alt: str) -> str:
    """``ok``, ``star``, ``symbolic`` or ``bad_letters`` for an (upper-cased) ALT."""
    if _bases(alt):
        return "ok"
    if alt == "*":
        return "star"
    if alt.startswith("<") or "[" in alt or "]" in alt or alt in (".", "") or alt.startswith("."):
        return "symbolic"
    return "bad_letters"


def select_alleles(
    refs: list[str], alts: list[list[str]], stats: Counter[str]
) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Allele rows to report: (record index, allele index), upper-cased REF and ALT per row."""
    row_rec: list[int] = []
    row_allele: list[int] = []
    row_ref: list[str] = []
    row_alt: list[str] = []
    n_read = 0
    for i, (ref, alt_list) in enumerate(zip(refs, alts, strict=True)):
        n_read += len(alt_list)
        ref_u = ref.upper()
        if not _bases(ref_u):
            stats["records_dropped_bad_ref"] += 1
            stats["alleles_dropped_bad_ref"] += len(alt_list)
            continue
        if not alt_list:
            stats["records_without_alt"] += 1
            continue
        if len(alt_list) == 1 and _bases(alt_u := alt_list[0].upper()):  # the usual record
            row_rec.append(i)
            row_allele.append(1)
            row_ref.append(ref_u)
            row_alt.append(alt_u)
            continue
        for k, alt in enumerate(alt_list, start=1):
            alt_u = alt.upper()
            kind = classify_alt(alt_u)
            if kind == "ok":
                row_rec.append(i)
                row_allele.append(k)
                row_ref.append(ref_u)
                row_alt.append(alt_u)
            else:
                stats[f"alleles_excluded_{kind}"] += 1
    stats["alleles_read"] += n_read
    return (
        np.array(row_rec, dtype=np.int64),
        np.array(row_allele, dtype=np.int64),
        row_ref,
        row_alt,
    )


class Duplicates:
    """Exact duplicate allele rows (same POS, REF, ALT) across a region's batches, as
    ``bcftools norm -d exact`` drops them; also finds rows out of POS order."""

    def __init__(self) -> None:
        self.last_pos = 0
        self.seen: set[tuple[str, str]] = set()  # (REF, ALT) already at last_pos

    def keep(self, pos: np.ndarray, refs: list[str], alts: list[str], stats: Counter[str]) -> np.ndarray:
        """Which rows to keep; raises ``ValueError((pos, previous pos))`` at the first row out of order."""
        n = len(pos)
        keep = np.ones(n, dtype=bool)
        if not n:
            return keep
        prev = np.empty(n, dtype=np.int64)
        prev[0] = self.last_pos
        prev[1:] = pos[:-1]
        bad = np.flatnonzero(pos < prev)
        if bad.size:
            raise ValueError(int(pos[bad[0]]), int(prev[bad[0]]))
        same = pos == prev
        # only rows that share their POS with a neighbour can be duplicates: look at those alone
        shared = same.copy()
        shared[:-1] |= same[1:]
        for r in np.flatnonzero(shared).tolist():
            if not same[r]:
                self.seen = set()
            key = (refs[r], alts[r])
            if key in self.seen:
                keep[r] = False
                stats["alleles_dropped_duplicate"] += 1
            self.seen.add(key)
        if not shared[-1]:
            self.seen = {(refs[-1], alts[-1])}
        self.last_pos = int(pos[-1])
        return keep
