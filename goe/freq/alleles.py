"""Which records and ALT alleles a frequency package can carry.

GDI nodes take only REF/ALT made of A, C, G, T, N. Symbolic ALTs
(``<DEL>``, ``<CN0>``, breakends) and the spanning deletion ``*`` are left
out; every exclusion is counted.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

_BASES = re.compile(r"^[ACGTN]+$")


def classify_alt(alt: str) -> str:
    """``ok``, ``star``, ``symbolic`` or ``bad_letters`` for an (upper-cased) ALT."""
    if _BASES.match(alt):
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
    for i, (ref, alt_list) in enumerate(zip(refs, alts, strict=True)):
        stats["alleles_read"] += len(alt_list)
        ref_u = ref.upper()
        if not _BASES.match(ref_u):
            stats["records_dropped_bad_ref"] += 1
            stats["alleles_dropped_bad_ref"] += len(alt_list)
            continue
        if not alt_list:
            stats["records_without_alt"] += 1
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
    return (
        np.array(row_rec, dtype=np.int64),
        np.array(row_allele, dtype=np.int64),
        row_ref,
        row_alt,
    )
