"""Per-group allele counts for a batch, in the bcftools +fill-tags convention.

AN counts called alleles; AC_Hom, AC_Het and AC_Hemi count *alleles* in
homozygous, heterozygous and haploid (or half-missing) calls, so that
AC = AC_Hom + AC_Het + AC_Hemi. A 1/2 call is heterozygous for both ALTs.
Group sums are matrix products with the sample x group indicator matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from goe.freq.hwe import hwe_pvalues

try:
    from goe.freq import _fastfreq  # type: ignore[attr-defined]
except ImportError:  # built without a C compiler: the matrix products below
    _fastfreq = None


@dataclass
class AlleleCounts:
    """Counts for R allele rows (ALTs) and G groups; per-record values repeated per row."""

    ac: np.ndarray  # int64 (R, G)
    an: np.ndarray
    ac_hom: np.ndarray
    ac_het: np.ndarray
    ac_hemi: np.ndarray
    ns: np.ndarray
    n_expected: np.ndarray  # samples expected to carry a call (ploidy > 0)
    hwe: np.ndarray  # float64 (R, G)

    @property
    def af(self) -> np.ndarray:
        """AC/AN, NaN where AN = 0."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.an > 0, self.ac / np.maximum(self.an, 1), np.nan)

    @property
    def f_missing(self) -> np.ndarray:
        """1 - NS/N over the samples expected to have a call; NaN where none is."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(
                self.n_expected > 0, 1.0 - self.ns / np.maximum(self.n_expected, 1), np.nan
            )


def count_alleles(
    gt: np.ndarray, ploidy: np.ndarray, row_rec: np.ndarray, row_allele: np.ndarray, groups: np.ndarray
) -> AlleleCounts:
    """Count allele rows ``(row_rec[r], row_allele[r])`` of a ploidy-fixed GT batch per group.

    ``groups`` is the float32 (samples x groups) indicator matrix.
    """
    if _fastfreq is not None and gt.shape[1] > 0:
        sums = _sums_native(gt, ploidy, row_rec, row_allele, groups)
    else:
        sums = _sums_matrix(gt, ploidy, row_rec, row_allele, groups)
    an, ns, n_exp, n_dip, n_hom, n_het, n_hemi = sums
    ac_hom = 2 * n_hom
    # HWE per ALT on diploid calls, other ALTs counted as REF (as on split records).
    nalt = n_het + ac_hom
    hwe = hwe_pvalues(2 * n_dip - nalt, nalt, n_het)
    return AlleleCounts(
        ac=ac_hom + n_het + n_hemi, an=an, ac_hom=ac_hom, ac_het=n_het, ac_hemi=n_hemi,
        ns=ns, n_expected=n_exp, hwe=hwe,
    )


def _sums_matrix(
    gt: np.ndarray, ploidy: np.ndarray, row_rec: np.ndarray, row_allele: np.ndarray, groups: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Per allele row and group: AN, NS, N_expected, N_diploid, N_hom, N_het, N_hemi, as matrix products."""
    a0 = gt[..., 0]
    a1 = gt[..., 1]
    c0, c1 = a0 >= 0, a1 >= 0
    n_called = c0.astype(np.int8) + c1
    diploid = c0 & c1
    rec_vals = np.concatenate(
        [n_called, n_called > 0, ploidy > 0, diploid], axis=0
    ).astype(np.float32)
    per_rec = np.rint(rec_vals @ groups).astype(np.int64)
    n_rec = gt.shape[0]
    per_record = [per_rec[i * n_rec : (i + 1) * n_rec][row_rec] for i in range(4)]

    k = row_allele[:, None].astype(np.int16)
    r0, r1 = a0[row_rec], a1[row_rec]
    is0, is1 = r0 == k, r1 == k
    dip_r = diploid[row_rec]
    hom = dip_r & is0 & is1
    het = dip_r & (r0 != r1) & (is0 | is1)
    hemi = (n_called[row_rec] == 1) & (is0 | is1)
    n_rows = len(row_rec)
    allele_vals = np.concatenate([hom, het, hemi], axis=0).astype(np.float32)
    per_row = np.rint(allele_vals @ groups).astype(np.int64)
    return (*per_record, *(per_row[i * n_rows : (i + 1) * n_rows] for i in range(3)))


def _leaves(groups: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Samples with the same groups form a leaf: each sample's leaf, and the leaves' groups as CSR."""
    member = groups > 0
    return _leaves_of(np.packbits(member, axis=1).tobytes(), member.shape)


@lru_cache(maxsize=4)
def _leaves_of(packed: bytes, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n, g = shape
    member = np.unpackbits(np.frombuffer(packed, dtype=np.uint8).reshape(n, -1), axis=1, count=g).astype(bool)
    rows, leaf = np.unique(member, axis=0, return_inverse=True)
    ptr = np.concatenate([[0], np.cumsum(rows.sum(axis=1))]).astype(np.int32)
    idx = np.nonzero(rows)[1].astype(np.int32)  # row-major: each leaf's groups in order
    return leaf.reshape(-1).astype(np.int32), ptr, idx


def _sums_native(
    gt: np.ndarray, ploidy: np.ndarray, row_rec: np.ndarray, row_allele: np.ndarray, groups: np.ndarray
) -> tuple[np.ndarray, ...]:
    """The same sums as :func:`_sums_matrix`, by goe.freq._fastfreq.count in one pass per record."""
    leaf, ptr, idx = _leaves(groups)
    out = np.empty((7, len(row_rec), groups.shape[1]), dtype=np.int64)
    _fastfreq.count(
        np.ascontiguousarray(gt, dtype=np.int16), np.ascontiguousarray(ploidy, dtype=np.int8),
        np.ascontiguousarray(row_rec, dtype=np.int64), np.ascontiguousarray(row_allele, dtype=np.int64),
        leaf, ptr, idx, groups.shape[1], out,
    )
    return tuple(out)
