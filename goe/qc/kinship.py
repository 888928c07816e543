"""KING-robust kinship (Manichaikul et al. 2010, eq. 11), as plink2 --make-king-table computes it.

Over SNVs called in both samples i and j:
phi = 1/2 + (2 N_het,het - 4 N_IBS0 - N_het(i) - N_het(j)) / (4 min(N_het(i), N_het(j))).
Counts are products of 0/1 indicator matrices, computed in blocks of samples
so memory stays bounded; only pairs above the reporting threshold are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# KING's inference criteria (Manichaikul et al. 2010, Table 1).
DUPLICATE = 0.354
FIRST_DEGREE = 0.177
SECOND_DEGREE = 0.0884
_BLOCK = 512
_SNP_CHUNK = 2048


@dataclass(frozen=True)
class Pair:
    """A related pair (indices into the sample list, i < j)."""

    i: int
    j: int
    kinship: float
    ibs0: float  # fraction of jointly called SNVs with opposite homozygotes
    n_snv: int


def relationship(kinship: float) -> str:
    """KING's degree for a kinship value."""
    if kinship > DUPLICATE:
        return "duplicate"
    if kinship > FIRST_DEGREE:
        return "first degree"
    if kinship > SECOND_DEGREE:
        return "second degree"
    return "unrelated"


def king_robust(genotypes: np.ndarray, threshold: float = SECOND_DEGREE) -> list[Pair]:
    """Pairs with kinship > ``threshold`` from an (SNVs x samples) int8 matrix of ALT dosages (-1 = missing)."""
    m, n = genotypes.shape
    if m == 0 or n < 2:
        return []
    pairs: list[Pair] = []
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        acc = np.zeros((5, stop - start, n), dtype=np.float64)  # hethet, ibs0, het_i, het_j, both
        for s0 in range(0, m, _SNP_CHUNK):
            g = genotypes[s0 : s0 + _SNP_CHUNK]
            het, hom_ref, hom_alt, called = (
                (g == 1).astype(np.float32), (g == 0).astype(np.float32),
                (g == 2).astype(np.float32), (g >= 0).astype(np.float32),
            )
            h, r, a, c = het[:, start:stop], hom_ref[:, start:stop], hom_alt[:, start:stop], called[:, start:stop]
            acc[0] += h.T @ het
            acc[1] += r.T @ hom_alt + a.T @ hom_ref
            acc[2] += h.T @ called  # het in i, called in j
            acc[3] += c.T @ het  # called in i, het in j
            acc[4] += c.T @ called
        hethet, ibs0, het_i, het_j, both = acc
        low = np.minimum(het_i, het_j)
        with np.errstate(invalid="ignore", divide="ignore"):
            phi = 0.5 + (2 * hethet - 4 * ibs0 - het_i - het_j) / (4 * low)
        phi[low <= 0] = np.nan
        rows, cols = np.nonzero(phi > threshold)
        for bi, j in zip(rows.tolist(), cols.tolist(), strict=True):
            i = start + bi
            if j <= i:
                continue
            nb = float(both[bi, j])
            pairs.append(Pair(i, j, float(phi[bi, j]), float(ibs0[bi, j]) / nb if nb else float("nan"), int(nb)))
    pairs.sort(key=lambda p: (-p.kinship, p.i, p.j))
    return pairs


def select_kinship_snvs(
    a0: np.ndarray, a1: np.ndarray, positions: np.ndarray, eligible: np.ndarray, window: int, last_window: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """Pick at most one common biallelic SNV per ``window`` bp; return (row indices, dosages, last window used)."""
    called = (a0 >= 0) & (a1 >= 0)
    n_called = called.sum(axis=1)
    alt = ((a0 > 0).astype(np.int16) + (a1 > 0)) * called
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n_called > 0, alt.sum(axis=1) / (2.0 * np.maximum(n_called, 1)), 0.0)
    common = eligible & (p >= 0.05) & (p <= 0.95)
    rows: list[int] = []
    for idx in np.nonzero(common)[0].tolist():
        w = (int(positions[idx]) - 1) // max(window, 1)  # windows align with region starts (k * GRID + 1)
        if w != last_window:
            rows.append(idx)
            last_window = w
    sel = np.array(rows, dtype=np.int64)
    dos = np.where(called[sel], alt[sel], -1).astype(np.int8) if len(sel) else np.zeros((0, a0.shape[1]), np.int8)
    return sel, dos, last_window
