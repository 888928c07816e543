"""Exact Hardy-Weinberg test (Wigginton, Cutler & Abecasis 2005, PMID 15789306).

Computed as ``bcftools +fill-tags`` does: from the number of REF and ALT
alleles and of heterozygous genotypes among diploid calls; p = 1 when either
allele is absent. Results are cached because the same triple recurs across
sites and populations.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

try:
    from goe.freq import _fastfreq  # type: ignore[attr-defined]
except ImportError:  # built without a C compiler: the Python recurrence below
    _fastfreq = None

_SMALL = 64  # rare-allele counts up to this use the scalar recurrence


def hwe_pvalues(nref: np.ndarray, nalt: np.ndarray, nhet: np.ndarray) -> np.ndarray:
    """Two-sided exact HWE p-values, elementwise over integer arrays of the same shape."""
    nref = np.asarray(nref, dtype=np.int64)
    out = np.ones(nref.shape, dtype=np.float64)
    nalt = np.asarray(nalt, dtype=np.int64)
    nhet = np.asarray(nhet, dtype=np.int64)
    todo = (nref > 0) & (nalt > 0)
    if not todo.any():
        return out
    if _fastfreq is not None:
        vals = np.empty(int(todo.sum()), dtype=np.float64)
        _fastfreq.hwe(
            np.ascontiguousarray(nref[todo]), np.ascontiguousarray(nalt[todo]), np.ascontiguousarray(nhet[todo]), vals
        )
        out[todo] = vals
        return out
    triples = np.stack([nref[todo], nalt[todo], nhet[todo]], axis=1)
    uniq, inverse = np.unique(triples, axis=0, return_inverse=True)
    vals = np.array([hwe_exact(int(a), int(b), int(c)) for a, b, c in uniq], dtype=np.float64)
    out[todo] = vals[inverse.ravel()]
    return out


@lru_cache(maxsize=1 << 18)
def hwe_exact(nref: int, nalt: int, nhet: int) -> float:
    """p-value for ``nhet`` heterozygotes given allele counts (diploid genotypes only)."""
    if nref <= 0 or nalt <= 0:
        return 1.0
    n_alleles = nref + nalt
    ngt = n_alleles // 2
    nrare = min(nref, nalt)
    if (nrare & 1) != (nhet & 1) or nhet > nrare or n_alleles & 1:
        return 1.0  # inconsistent counts cannot arise from diploid calls
    mid = int(nrare * (n_alleles - nrare) / n_alleles)
    if (nrare & 1) != (mid & 1):
        mid += 1
    probs = _probs_small(nrare, ngt, mid) if nrare <= _SMALL else _probs_large(nrare, ngt, mid)
    probs = probs / probs.sum()
    p = float(probs[probs <= probs[nhet]].sum())
    return min(p, 1.0)


def _probs_small(nrare: int, ngt: int, mid: int) -> np.ndarray:
    probs = [0.0] * (nrare + 1)
    probs[mid] = 1.0
    hom_r = (nrare - mid) // 2
    hom_c = ngt - mid - hom_r
    het = mid
    while het > 1:
        probs[het - 2] = probs[het] * het * (het - 1.0) / (4.0 * (hom_r + 1.0) * (hom_c + 1.0))
        hom_r += 1
        hom_c += 1
        het -= 2
    hom_r = (nrare - mid) // 2
    hom_c = ngt - mid - hom_r
    het = mid
    while het <= nrare - 2:
        probs[het + 2] = probs[het] * 4.0 * hom_r * hom_c / ((het + 2.0) * (het + 1.0))
        hom_r -= 1
        hom_c -= 1
        het += 2
    return np.array(probs)


def _probs_large(nrare: int, ngt: int, mid: int) -> np.ndarray:
    probs = np.zeros(nrare + 1)
    probs[mid] = 1.0
    hom_r0 = (nrare - mid) // 2
    hom_c0 = ngt - mid - hom_r0
    down = np.arange(mid, 1, -2, dtype=np.float64)
    if len(down):
        k = np.arange(len(down), dtype=np.float64)
        ratio = down * (down - 1.0) / (4.0 * (hom_r0 + k + 1.0) * (hom_c0 + k + 1.0))
        probs[mid - 2 :: -2][: len(down)] = np.cumprod(ratio)
    up = np.arange(mid, nrare - 1, 2, dtype=np.float64)
    if len(up):
        k = np.arange(len(up), dtype=np.float64)
        ratio = 4.0 * (hom_r0 - k) * (hom_c0 - k) / ((up + 2.0) * (up + 1.0))
        probs[mid + 2 :: 2][: len(up)] = np.cumprod(ratio)
    return probs
