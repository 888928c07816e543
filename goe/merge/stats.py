"""Reference-user statistics of ``goe merge``: faf95, grpmax and between-country heterogeneity.

All functions are vectorised over numpy arrays and need nothing beyond numpy and the
standard library: the regularized incomplete gamma function (series, continued fraction
and Temme's uniform expansion) and its inverse are implemented here, with ``math.erfc``
and ``math.lgamma`` as the only elementary special functions used.

Definitions follow gnomAD, which computes them with hail:

* ``faf`` is ``hl.experimental.filtering_allele_frequency`` (hail's
  ``calcFilterAlleleFreq``): the highest population AF whose one-sided Poisson upper
  bound on the allele count stays below the observed AC.
* ``grpmax`` is gnomAD's ``pop_max_expr``: the group with the highest AF among the
  groups that carry the allele, with an additional minimum-AN requirement.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

_EPS = 1e-16
_TINY = 1e-300
_MAX_ITER = 100_000
_TEMME_MIN_A = 500.0  # above this shape Temme's expansion (to a^-3) is accurate to double precision

# Taylor coefficients in eta of Temme's c0..c3 (DLMF 8.12.8-8.12.9), derived exactly with rational
# arithmetic from c0 = 1/(lam-1) - 1/eta and c_k = c_{k-1}'(eta)/eta + (-1)^k g_k/(lam-1)
# (g_k: Stirling coefficients); they agree with DiDonato & Morris (1986) and Boost's tables.
# fmt: off
_C0 = (
    -0.3333333333333333, 0.08333333333333333, -0.014814814814814815, 0.0011574074074074073,
    0.0003527336860670194, -0.0001787551440329218, 3.919263178522438e-05, -2.185448510679992e-06,
    -1.85406221071516e-06, 8.296711340953087e-07, -1.7665952736826078e-07, 6.707853543401498e-09,
    1.0261809784240309e-08, -4.382036018453353e-09, 9.14769958223679e-10, -2.5514193994946248e-11,
    -5.830772132550426e-11, 2.4361948020667415e-11, -5.0276692801141755e-12,
    1.1004392031956135e-13, 3.371763262400985e-13, -1.392388722418162e-13,
)
_C1 = (
    -0.001851851851851852, -0.003472222222222222, 0.0026455026455026454, -0.0009902263374485596,
    0.00020576131687242798, -4.018775720164609e-07, -1.8098550334489977e-05, 7.64916091608111e-06,
    -1.6120900894563446e-06, 4.647127802807434e-09, 1.378633446915721e-07, -5.752545603517705e-08,
    1.1951628599778148e-08, -1.7543241719747647e-11, -1.0091543710600413e-09,
    4.162792991842583e-10, -8.56390702649298e-11, 6.067215101604758e-14, 7.1624989648114856e-12,
    -2.933186643771437e-12,
)
_C2 = (
    0.004133597883597883, -0.0026813271604938273, 0.0007716049382716049, 2.0093878600823047e-06,
    -0.0001073665322636516, 5.2923448829120125e-05, -1.2760635188618728e-05, 3.423578734096138e-08,
    1.3721957309062934e-06, -6.298992138380055e-07, 1.4280614206064242e-07,
    -2.0477098421990866e-10, -1.409252991086752e-08, 6.228974084922022e-09,
)
_C3 = (
    0.0006494341563786008, 0.00022947209362139917, -0.0004691894943952557, 0.00026772063206283885,
    -7.561801671883977e-05, -2.396505113867297e-07, 1.1082654115347302e-05,
    -5.6749528269915965e-06, 1.4230900732435883e-06, -2.7861080291528143e-11,
)
# fmt: on


_erfc_u = np.frompyfunc(math.erfc, 1, 1)
_lgamma_u = np.frompyfunc(math.lgamma, 1, 1)


def _erfc(x: np.ndarray) -> np.ndarray:
    return np.asarray(_erfc_u(x), dtype=np.float64)


def _lgamma(x: np.ndarray) -> np.ndarray:
    return np.asarray(_lgamma_u(x), dtype=np.float64)


def _norm_ppf(p: float) -> float:
    """Standard normal quantile by bisection on ``math.erfc`` (scalar, used for a start value)."""
    lo, hi = -40.0, 40.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if 0.5 * math.erfc(-mid / math.sqrt(2.0)) < p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _log_series(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """log S with P(a, x) = x^a e^-x / Gamma(a+1) * S, S = sum_n x^n / ((a+1)...(a+n))."""
    total = np.ones_like(x)
    term = np.ones_like(x)
    idx = np.arange(x.size)
    n = 0
    while idx.size and n < _MAX_ITER:
        n += 1
        term[idx] *= x[idx] / (a[idx] + n)
        total[idx] += term[idx]
        idx = idx[term[idx] > total[idx] * _EPS]
    return np.log(total)


def _log_q_cf(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """log Q(a, x) by the modified Lentz continued fraction (converges fast for x > a + 1)."""
    b = x + 1.0 - a
    c = np.full_like(x, 1.0 / _TINY)
    d = 1.0 / b
    h = d.copy()
    idx = np.arange(x.size)
    i = 0
    while idx.size and i < _MAX_ITER:
        i += 1
        an = -i * (i - a[idx])
        b[idx] += 2.0
        dd = an * d[idx] + b[idx]
        dd = np.where(np.abs(dd) < _TINY, _TINY, dd)
        cc = b[idx] + an / c[idx]
        cc = np.where(np.abs(cc) < _TINY, _TINY, cc)
        d[idx] = 1.0 / dd
        c[idx] = cc
        delta = cc / dd
        h[idx] *= delta
        idx = idx[np.abs(delta - 1.0) > _EPS]
    return a * np.log(x) - x - _lgamma(a) + np.log(h)


def _gamma_q(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Regularized upper incomplete gamma Q(a, x) for a > 0, x >= 0 (relative accuracy in tails)."""
    a, x = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(x, dtype=np.float64))
    out = np.ones(a.shape)
    pos = x > 0
    cf = pos & (x >= a + 1.0)
    ser = pos & ~cf
    if cf.any():
        out[cf] = np.exp(_log_q_cf(a[cf], x[cf]))
    if ser.any():
        aa, xx = a[ser], x[ser]
        log_p = aa * np.log(xx) - xx - _lgamma(aa + 1.0) + _log_series(aa, xx)
        out[ser] = -np.expm1(log_p)
    return out


def _temme_sum(eta: np.ndarray, t: np.ndarray, a: np.ndarray) -> np.ndarray:
    """c0 + c1/a + c2/a^2 + c3/a^3 of Temme's expansion; ``t`` = lambda - 1.

    Taylor series for |eta| <= 1. Beyond, only the closed forms of c0 and c1 are used: there
    a * eta^2 / 2 > 250 (for a > 500), so P or Q is below 1e-108 and only its sign matters.
    """
    pv = np.polynomial.polynomial.polyval
    out = pv(eta, _C0) + (pv(eta, _C1) + (pv(eta, _C2) + pv(eta, _C3) / a) / a) / a
    far = np.abs(eta) > 1.0
    if far.any():
        e, u = eta[far], t[far]
        c0 = 1.0 / u - 1.0 / e
        c1 = 1.0 / e**3 - 1.0 / u**3 - 1.0 / u**2 - 1.0 / (12.0 * u)
        out[far] = c0 + c1 / a[far]
    return out


def _log_p_temme(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """log P(a, x) by Temme's uniform expansion to order a^-3 (for large a)."""
    t = (x - a) / a
    # t - log1p(t) = t^2/2 - t^3/3 + ... ; the series avoids cancellation near t = 0
    half_eta2 = t - np.log1p(t)
    near = np.abs(t) < 0.01
    if near.any():
        tn = t[near]
        half_eta2[near] = sum((-1.0) ** k * tn**k / k for k in range(2, 14))
    eta = np.sign(t) * np.sqrt(2.0 * np.maximum(half_eta2, 0.0))
    r = np.exp(-a * half_eta2) / np.sqrt(2.0 * np.pi * a) * _temme_sum(eta, t, a)
    return np.log(0.5 * _erfc(-eta * np.sqrt(a / 2.0)) - r)


def _log_p(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """log P(a, x), with the method chosen per element."""
    out = np.empty(x.shape)
    big = a > _TEMME_MIN_A
    ser = ~big & (x < a + 1.0)
    cf = ~big & ~ser
    if big.any():
        out[big] = _log_p_temme(a[big], x[big])
    if ser.any():
        aa, xx = a[ser], x[ser]
        out[ser] = aa * np.log(xx) - xx - _lgamma(aa + 1.0) + _log_series(aa, xx)
    if cf.any():
        out[cf] = np.log(-np.expm1(_log_q_cf(a[cf], x[cf])))
    return out


def _poisson_rate_for_tail(k: np.ndarray, p: float) -> np.ndarray:
    """lambda with P(X >= k | Poisson(lambda)) = P(k, lambda) = p, for integer k >= 1.

    Safeguarded Newton on log P(k, lambda), which is concave in lambda (the gamma density
    is log-concave), inside a bracket that every evaluation narrows.
    """
    k = np.asarray(k, dtype=np.float64)
    log_p = math.log(p)
    z = _norm_ppf(p)
    base = 1.0 - 1.0 / (9.0 * k) + z / (3.0 * np.sqrt(k))  # Wilson-Hilferty start
    small_x = np.exp((log_p + _lgamma(k + 1.0)) / k)  # P(k, x) ~ x^k / k! for small x
    x = np.where(base > 0.05, k * np.maximum(base, 0.05) ** 3, small_x)
    lo = np.zeros_like(k)
    hi = np.full_like(k, np.inf)
    idx = np.arange(k.size)
    for _ in range(200):
        if not idx.size:
            break
        kk, xx = k[idx], x[idx]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            g = _log_p(kk, xx) - log_p
            # d/dx log P = x^(k-1) e^-x / (Gamma(k) P); only the step size depends on it
            dlog = np.exp((kk - 1.0) * np.log(xx) - xx - _lgamma(kk) - (g + log_p))
            step = g / dlog
        below = (g < 0) | (np.isnan(g) & (xx < kk))
        lo[idx] = np.where(below, xx, lo[idx])
        hi[idx] = np.where(below, hi[idx], xx)
        new = xx - step
        l_, h_ = lo[idx], hi[idx]
        bad = ~np.isfinite(new) | (new <= l_) | (new >= h_)
        new = np.where(bad, np.where(np.isfinite(h_), 0.5 * (l_ + h_), 2.0 * xx), new)
        done = (g == 0) | (np.abs(step) <= 4e-16 * xx) | (np.isfinite(h_) & (h_ - l_ <= 4e-16 * h_))
        x[idx] = np.where(done, xx, new)
        idx = idx[~done]
    return x


def _as_counts(name: str, values: Any) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype.kind in "iu":
        out = arr.astype(np.int64, copy=False)
    else:
        f = arr.astype(np.float64)
        if np.isnan(f).any() or not np.array_equal(f, np.round(f)):
            raise ValueError(f"{name} must hold whole counts (no NaN)")
        out = f.astype(np.int64)
    if (out < 0).any():
        raise ValueError(f"{name} must not be negative")
    return out


def faf(ac: np.ndarray, an: np.ndarray, confidence: float = 0.95) -> np.ndarray:
    """Filtering allele frequency (gnomAD ``faf95`` for ``confidence=0.95``), elementwise.

    The highest true population AF for which the upper bound of the one-sided ``confidence``
    Poisson interval of the allele count is still below the observed AC: with
    lambda = AF * AN, the AF at which P(X >= AC | lambda) = 1 - confidence, i.e. the lower
    bound of the one-sided ``confidence`` interval of AF. As in hail's
    ``filtering_allele_frequency`` (``calcFilterAlleleFreq``), AC <= 1 gives 0: hail does not
    compute it on singletons (hail PR #5047), and gnomAD publishes faf95 = 0 for them.

    Differences from hail, deliberate: AN = 0 gives NaN (no data; hail returns 0.0), and the
    root is exact (to about 1e-13 relative), where hail searches a 1e-6 AF grid and returns a
    grid point below the root: gnomAD's published faf95 values sit up to 1e-6 below these,
    which is a large relative difference for rare alleles.

    AC and AN are whole, non-negative and broadcastable; AC > AN where AN > 0 is an error.
    ``confidence`` is meant to be 0.95 or 0.99 (gnomAD's faf95/faf99); below 0.5 the "lower
    bound" exceeds AC/AN and can exceed 1.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must lie strictly between 0 and 1")
    ac_i, an_i = np.broadcast_arrays(_as_counts("ac", ac), _as_counts("an", an))
    has = an_i > 0
    if (ac_i[has] > an_i[has]).any():
        raise ValueError("ac must not exceed an")
    out = np.where(has, 0.0, np.nan)
    calc = has & (ac_i >= 2)
    if calc.any():
        ks, inverse = np.unique(ac_i[calc], return_inverse=True)
        lam = _poisson_rate_for_tail(ks, 1.0 - confidence)
        out[calc] = lam[inverse.ravel()] / an_i[calc]
    return out


def grpmax(af: np.ndarray, an: np.ndarray, labels: Sequence[str], min_an: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the group (column) with the highest AF, as gnomAD's grpmax.

    ``af`` and ``an`` are (rows, groups), columns in the order of ``labels``. A group qualifies
    when AN >= ``min_an`` (and AN > 0) and its AF is finite and above 0 (gnomAD keeps only
    groups with AC > 0). Ties go to the first qualifying label in the given order. Returns
    the column index (int64, -1 where no group qualifies) and its AF (NaN there).

    gnomAD leaves bottlenecked/founder groups (e.g. Finnish, Ashkenazi Jewish, Amish) out of
    grpmax; do the same by passing only the columns that should compete.
    """
    af_a = np.asarray(af, dtype=np.float64)
    an_a = np.asarray(an)
    if af_a.ndim != 2 or af_a.shape != an_a.shape:
        raise ValueError("af and an must be 2-D arrays of the same shape (rows, groups)")
    if af_a.shape[1] != len(labels):
        raise ValueError(f"{af_a.shape[1]} group columns but {len(labels)} labels")
    ok = (an_a >= min_an) & (an_a > 0) & np.isfinite(af_a) & (af_a > 0)
    masked = np.where(ok, af_a, -np.inf)
    idx = np.argmax(masked, axis=1).astype(np.int64) if af_a.shape[1] else np.zeros(af_a.shape[0], np.int64)
    found = ok.any(axis=1)
    idx = np.where(found, idx, -1)
    best = np.full(af_a.shape[0], np.nan)
    rows = np.flatnonzero(found)
    best[rows] = af_a[rows, idx[rows]]
    return idx, best


def heterogeneity_pvalue(ac: np.ndarray, an: np.ndarray) -> np.ndarray:
    """Chi-square test of homogeneity of AF across groups, per row (groups on the last axis).

    Uses the 2 x k table of (AC, AN - AC) over the k groups with AN > 0; the Pearson
    statistic (no continuity correction), with k - 1 degrees of freedom, is referred to the
    chi-square survival function. NaN when fewer than two groups have AN > 0, or when the
    pooled AF is 0 or 1. Groups with AN = 0 are ignored whatever their AC.

    A tiny p-value flags strong between-country differences in AF at the site; in a merged
    reference these are often batch artefacts (different centres, callers or coverage)
    rather than biology, and deserve a look before the pooled AF is trusted.
    """
    ac_i, an_i = np.broadcast_arrays(_as_counts("ac", ac), _as_counts("an", an))
    if ac_i.ndim == 0:
        raise ValueError("ac and an need a group axis")
    present = an_i > 0
    if ((ac_i > an_i) & present).any():
        raise ValueError("ac must not exceed an")
    acp = np.where(present, ac_i, 0)
    n_groups = np.count_nonzero(present, axis=-1)
    c_tot = acp.sum(axis=-1)
    n_tot = an_i.sum(axis=-1)
    ok = (n_groups >= 2) & (c_tot > 0) & (c_tot < n_tot)
    out = np.full(ok.shape, np.nan)
    if not ok.any():
        return out
    if ok.all():
        a, n, c, nt = acp, an_i, c_tot[..., None], n_tot[..., None]
    else:
        a, n, c, nt = acp[ok], an_i[ok], c_tot[ok][:, None], n_tot[ok][:, None]
    # (AC_j - AN_j p)^2 / (AN_j p q) = (N AC_j - AN_j C)^2 / (AN_j C (N - C)); the difference is
    # exact in int64, so every term is a positive number with a relative error of a few ulp
    if float(nt.max()) ** 2 < 2.0**62:
        diff = (nt * a - n * c).astype(np.float64)
    else:
        diff = nt.astype(np.float64) * a - n.astype(np.float64) * c
    diff *= diff
    denom = n * (c.astype(np.float64) * (nt - c).astype(np.float64))
    stat = np.divide(diff, denom, out=np.zeros_like(diff), where=n > 0).sum(axis=-1)
    df = (n_groups[ok] - 1).astype(np.float64)
    out[ok] = _gamma_q(df / 2.0, stat.ravel() / 2.0)
    return out
