"""goe.merge.stats against scipy as the reference implementation, and against published gnomAD numbers.

faf is compared with a Brent root-find on ``scipy.stats.poisson`` (relative 1e-10), the
heterogeneity p-values with ``scipy.stats.chi2_contingency(correction=False)`` (relative 1e-9,
down to p ~ 1e-300), and grpmax on its edge cases. gnomAD's published faf95 values are hail's
1e-6-grid approximation of the same root; a re-implementation of hail's algorithm reproduces
them exactly, and goe's exact value lies less than 1e-6 above.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, stats

from goe.merge.stats import faf, grpmax, heterogeneity_pvalue


def _scipy_faf(ac: int, an: int, confidence: float) -> float:
    """AF = lambda/AN with P(X >= AC | Poisson(lambda)) = 1 - confidence, by Brent on scipy's Poisson."""
    target = 1.0 - confidence
    lam = optimize.brentq(lambda x: stats.poisson.sf(ac - 1, x) - target, 1e-300, float(ac), xtol=1e-300, rtol=1e-15)
    return lam / an


def _pairs() -> list[tuple[int, int]]:
    acs = sorted({*range(2, 31), *np.unique(np.geomspace(31, 1_000_000, 45).round().astype(int)).tolist()})
    pairs = [(2, 10), (3, 10), (10, 10)]
    for ac in acs:
        for factor in (1, 2, 10, 1_000, 100_000):
            an = ac * factor
            if an <= 2_000_000:
                pairs.append((ac, an))
    pairs.append((1_000_000, 2_000_000))
    return pairs


@pytest.mark.parametrize("confidence", [0.95, 0.99])
def test_faf_matches_scipy_root_find(confidence: float) -> None:
    pairs = _pairs()
    ac = np.array([p[0] for p in pairs])
    an = np.array([p[1] for p in pairs])
    got = faf(ac, an, confidence)
    want = np.array([_scipy_faf(a, n, confidence) for a, n in pairs])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=0)
    # the definition: at the returned AF the upper tail P(X >= AC) is exactly 1 - confidence
    np.testing.assert_allclose(stats.poisson.sf(ac - 1, got * an), 1.0 - confidence, rtol=1e-9)


def test_faf_special_cases() -> None:
    ac = np.array([0, 1, 1, 0, 5, 2])
    an = np.array([10, 10, 2_000_000, 0, 0, 2])
    got = faf(ac, an)
    # AC = 0 and singletons give 0 (hail: "FAF should not be calculated on singletons");
    # AN = 0 gives NaN (hail returns 0.0 there; goe reports no data as missing)
    assert got[:3].tolist() == [0.0, 0.0, 0.0]
    assert np.isnan(got[3])
    assert np.isnan(got[4])
    assert 0 < got[5] < 1
    assert faf(np.array([[3, 4]]), np.array([[100], [200]])).shape == (2, 2)  # broadcasting
    np.testing.assert_allclose(faf(np.array([7.0]), np.array([1000.0])), faf(np.array([7]), np.array([1000])))


def test_faf_is_below_af_and_monotone() -> None:
    ac = np.arange(2, 5000)
    an = np.full_like(ac, 10_000)
    got = faf(ac, an)
    assert np.all(got < ac / an)
    assert np.all(np.diff(got) > 0)
    assert np.all(faf(ac, an, 0.99) < got)


@pytest.mark.parametrize(
    ("ac", "an", "confidence", "message"),
    [
        ([3], [2], 0.95, "exceed"),
        ([-1], [2], 0.95, "negative"),
        ([1.5], [2], 0.95, "whole"),
        ([1], [2], 1.0, "confidence"),
        ([1], [2], 0.0, "confidence"),
    ],
)
def test_faf_rejects_bad_input(ac: list[float], an: list[int], confidence: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        faf(np.array(ac), np.array(an), confidence)


def _hail_faf(ac: int, an: int, ci: float = 0.95) -> float:
    """hail's calcFilterAlleleFreq (is.hail.experimental), with scipy for qpois and uniroot."""
    precision = 1e-6
    if ac <= 1 or an == 0:
        return 0.0
    root = optimize.brentq(lambda af: ac - 1 - stats.poisson.ppf(ci, an * af), 1e-10, 2.0, xtol=1e-7)
    rounder = 1.0 / (precision / 100.0)
    max_af = round(root * rounder) / rounder
    while stats.poisson.ppf(ci, an * max_af) < ac:
        max_af += precision
    return max_af - precision


# gnomAD v4.1 browser, 11-637293-C-T (DRD4): grpmax faf95 (nfe) of exomes, genomes and joint
GNOMAD_FAF95 = [(14, 897410, 9.05e-06), (6, 67718, 3.776e-05), (20, 965128, 1.353e-05)]


@pytest.mark.parametrize(("ac", "an", "published"), GNOMAD_FAF95)
def test_faf_against_published_gnomad(ac: int, an: int, published: float) -> None:
    assert _hail_faf(ac, an) == pytest.approx(published, rel=1e-9)
    exact = faf(np.array([ac]), np.array([an]))[0]
    assert 0 < exact - published < 1e-6


def _reference_p(ac: np.ndarray, an: np.ndarray) -> float:
    keep = an > 0
    table = np.array([ac[keep], an[keep] - ac[keep]])
    return float(stats.chi2_contingency(table, correction=False)[1])


def _check_against_scipy(ac: np.ndarray, an: np.ndarray) -> int:
    got = heterogeneity_pvalue(ac, an)
    compared = 0
    for r in range(ac.shape[0]):
        want = _reference_p(ac[r], an[r])
        if want > 1e-300:
            assert got[r] == pytest.approx(want, rel=1e-9, abs=0), (ac[r], an[r])
            compared += 1
        else:
            assert got[r] < 1e-290
    return compared


def test_heterogeneity_random_tables() -> None:
    rng = np.random.default_rng(20240611)
    rows_ac, rows_an = [], []
    for _ in range(600):
        k = 8
        an = rng.integers(1, 20_000, size=k)
        an[rng.random(k) < 0.2] = 0  # groups that did not assess the site
        af = np.clip(rng.uniform(0, 0.6) * np.exp(rng.choice([0.0, 0.05, 0.3, 1.0, 3.0]) * rng.normal(size=k)), 0, 1)
        ac = rng.binomial(an, af)
        if (an > 0).sum() < 2 or ac[an > 0].sum() in (0, an.sum()):
            continue
        rows_ac.append(ac)
        rows_an.append(an)
    compared = _check_against_scipy(np.array(rows_ac), np.array(rows_an))
    assert compared > 300


def test_heterogeneity_extreme_tables() -> None:
    # p-values from ~1 down past 1e-300, in relative terms where scipy still resolves them
    ac, an = [], []
    for x in range(0, 2001, 25):
        ac.append([x, 2000 - x // 4, 0])
        an.append([4000, 4000, 0])
    for x in range(0, 1001, 50):
        ac.append([x, 1000 - x, 500, 10])
        an.append([1000, 1000, 1000, 1000])
    ac.append([2, 0])
    an.append([2_000_000, 2_000_000])
    ac.append([1_999_990, 1])
    an.append([2_000_000, 2_000_000])
    got = heterogeneity_pvalue(np.array([ac[0]]), np.array([an[0]]))
    assert got.shape == (1,)
    tiny = heterogeneity_pvalue(np.array([[2500, 1000]]), np.array([[4000, 4000]]))[0]
    assert tiny == pytest.approx(_reference_p(np.array([2500, 1000]), np.array([4000, 4000])), rel=1e-9)
    assert 1e-260 < tiny < 1e-240

    def pad(rows: list[list[int]]) -> np.ndarray:
        return np.array([r + [0] * (4 - len(r)) for r in rows])

    compared = _check_against_scipy(pad(ac), pad(an))
    assert compared >= 70


def test_heterogeneity_large_counts_take_the_float_path() -> None:
    ac = np.array([[1_000_000_000, 1_100_000_000, 1_050_000_000]])
    an = np.array([[3_000_000_000, 3_000_000_000, 3_000_000_000]])
    assert heterogeneity_pvalue(ac, an)[0] == pytest.approx(_reference_p(ac[0], an[0]), rel=1e-9, abs=1e-300)


def test_heterogeneity_undefined_and_trivial_cases() -> None:
    ac = np.array([[5, 0, 9], [5, 7, 0], [0, 0, 0], [10, 20, 0], [10, 20, 30], [1, 2, 3]])
    an = np.array([[10, 0, 0], [10, 0, 0], [10, 20, 0], [10, 20, 0], [20, 40, 60], [10, 20, 0]])
    got = heterogeneity_pvalue(ac, an)
    assert np.isnan(got[0])  # one group with AN > 0 (AC in an AN = 0 group is ignored)
    assert np.isnan(got[1])
    assert np.isnan(got[2])  # pooled AF 0
    assert np.isnan(got[3])  # pooled AF 1
    assert got[4] == 1.0  # identical AF
    assert got[5] == pytest.approx(_reference_p(ac[5], an[5]), rel=1e-12)  # df counts groups with AN > 0
    single = heterogeneity_pvalue(np.array([1, 9]), np.array([10, 10]))
    assert single.shape == ()
    assert 0 < float(single) < 0.01
    with pytest.raises(ValueError, match="exceed"):
        heterogeneity_pvalue(np.array([[3, 1]]), np.array([[2, 5]]))


LABELS = ["AT", "BE", "FI", "NL"]


def test_grpmax_picks_highest_af_among_groups_with_enough_an() -> None:
    af = np.array(
        [
            [0.1, 0.3, 0.2, 0.0],  # plain maximum
            [0.2, 0.5, 0.2, 0.1],  # BE has the highest AF but too little AN
            [0.2, 0.1, 0.2, 0.2],  # tie: first label wins
            [0.0, 0.0, 0.0, 0.0],  # allele seen nowhere: no grpmax (gnomAD keeps AC > 0 only)
            [np.nan, 0.4, np.nan, 0.1],  # AN = 0 groups have AF NaN
            [0.9, 0.9, 0.9, 0.9],  # every group below min_an
        ]
    )
    an = np.array(
        [
            [1000, 1000, 1000, 1000],
            [1000, 99, 1000, 1000],
            [1000, 1000, 1000, 1000],
            [1000, 1000, 1000, 1000],
            [0, 1000, 0, 1000],
            [10, 10, 10, 10],
        ]
    )
    idx, best = grpmax(af, an, LABELS, min_an=100)
    assert idx.dtype == np.int64
    assert idx.tolist() == [1, 0, 0, -1, 1, -1]
    np.testing.assert_array_equal(best, [0.3, 0.2, 0.2, np.nan, 0.4, np.nan])
    # min_an = 0 still ignores AN = 0; founder groups are left out by passing fewer columns
    idx0, _ = grpmax(af, an, LABELS, min_an=0)
    assert idx0.tolist() == [1, 1, 0, -1, 1, 0]
    keep = [0, 1, 3]  # e.g. without FI
    idx_nf, best_nf = grpmax(af[:, keep], an[:, keep], [LABELS[i] for i in keep], min_an=100)
    assert idx_nf.tolist() == [1, 0, 0, -1, 1, -1]
    assert best_nf[1] == 0.2


def test_grpmax_shapes() -> None:
    idx, best = grpmax(np.zeros((0, 4)), np.zeros((0, 4), dtype=int), LABELS, 1)
    assert idx.shape == best.shape == (0,)
    idx, best = grpmax(np.zeros((3, 0)), np.zeros((3, 0), dtype=int), [], 1)
    assert idx.tolist() == [-1, -1, -1]
    with pytest.raises(ValueError, match="labels"):
        grpmax(np.zeros((2, 3)), np.zeros((2, 3)), LABELS, 1)
    with pytest.raises(ValueError, match="same shape"):
        grpmax(np.zeros((2, 4)), np.zeros((2, 3)), LABELS, 1)
