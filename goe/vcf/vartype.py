"""Allele types the way htslib classifies them (``bcf_get_variant_type``).

``bcftools stats`` counts SNVs, indels, transitions and insertion/deletion
genotypes by these types, so goe uses the same rules to agree with it.
"""

from __future__ import annotations

from functools import lru_cache

REF, SNP, MNP, INDEL, OTHER, BND, OVERLAP = 0, 1, 2, 4, 8, 16, 32
INS, DEL = 64, 128  # refine INDEL

_ACGT = {"A": 0, "C": 1, "G": 2, "T": 3}


def acgt(base: str) -> int:
    """htslib's bcf_acgt2int on the first letter: A0 C1 G2 T3, -1 otherwise."""
    return _ACGT.get(base[:1].upper(), -1)


@lru_cache(maxsize=1 << 16)
def allele_type(ref: str, alt: str) -> tuple[int, int]:
    """(type flags, length change) of ``alt`` against ``ref``; length < 0 for deletions."""
    if alt == "*":
        return OVERLAP, 0
    if len(ref) == 1 and len(alt) == 1:
        if alt == "." or ref.upper() == alt.upper() or alt == "X":
            return REF, 0
        return SNP, 1
    if alt.startswith("<"):
        if alt in ("<X>", "<*>", "<NON_REF>"):
            return REF, 0
        return OTHER, 0
    if alt[:1] in ("[", "]"):
        return BND, 0
    r, a = ref.upper(), alt.upper()
    i = 0
    while i < len(r) and i < len(a) and r[i] == a[i]:
        i += 1
    if i == len(r) and i < len(a) and a[i] in "[]":
        return BND, 0
    if i < len(a) and i == len(r):
        return INDEL | INS, len(a) - len(r)
    if i < len(r) and i == len(a):
        return INDEL | DEL, len(a) - len(r)
    if i == len(r) and i == len(a):
        return REF, 0
    # Trim the common suffix, as htslib does, then compare what is left.
    re_, ae = len(r) - 1, len(a) - 1
    while re_ > i and ae > i and r[re_] == a[ae]:
        re_ -= 1
        ae -= 1
    if ae == i:
        if re_ == i:
            return SNP, 1
        if r[re_] == a[ae]:
            return INDEL | DEL, -(re_ - i)
        return OTHER, -(re_ - i)
    if re_ == i:
        if r[re_] == a[ae]:
            return INDEL | INS, ae - i
        return OTHER, ae - i
    if re_ - i == ae - i:
        return MNP, ae - i + 1
    return OTHER, (-(re_ - i + 1) if re_ - i > ae - i else ae - i + 1)
