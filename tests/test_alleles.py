"""Allele rows: which alleles are kept, and exact duplicates dropped as `bcftools norm -d exact` does."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goe.freq.alleles import Duplicates, classify_alt, select_alleles


def _reference(rows: list[tuple[int, str, str]]) -> list[bool]:
    """The definition, one row at a time: a row is dropped when its (POS, REF, ALT) came before."""
    seen: set[tuple[int, str, str]] = set()
    out = []
    for row in rows:
        out.append(row not in seen)
        seen.add(row)
    return out


rows_strategy = st.lists(
    st.tuples(st.integers(1, 6), st.sampled_from(["A", "C", "AT"]), st.sampled_from(["G", "T", "ATT"])),
    max_size=60,
).map(sorted)


@settings(max_examples=300, deadline=None)
@given(rows=rows_strategy, cuts=st.lists(st.integers(0, 60), max_size=5))
def test_duplicates_match_the_definition_however_the_rows_are_batched(
    rows: list[tuple[int, str, str]], cuts: list[int]
) -> None:
    bounds = sorted({0, len(rows), *(c for c in cuts if c <= len(rows))})
    dup = Duplicates()
    stats: Counter[str] = Counter()
    kept: list[bool] = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        batch = rows[a:b]
        pos = np.array([r[0] for r in batch], dtype=np.int64)
        kept += dup.keep(pos, [r[1] for r in batch], [r[2] for r in batch], stats).tolist()
    assert kept == _reference(rows)
    assert stats["alleles_dropped_duplicate"] == kept.count(False)


def test_rows_out_of_order_are_reported_with_both_positions() -> None:
    dup = Duplicates()
    dup.keep(np.array([5, 9]), ["A", "A"], ["G", "G"], Counter())
    with pytest.raises(ValueError, match=r"\(7, 9\)"):
        dup.keep(np.array([7]), ["A"], ["C"], Counter())


@pytest.mark.parametrize(
    ("alt", "kind"),
    [("ACGTN", "ok"), ("*", "star"), ("<DEL>", "symbolic"), ("G]17:198982]", "symbolic"), (".", "symbolic"),
     (".A", "symbolic"), ("", "symbolic"), ("ACX", "bad_letters"), ("AC\n", "bad_letters")],
)
def test_alt_classes(alt: str, kind: str) -> None:
    assert classify_alt(alt) == kind


def test_select_alleles_keeps_base_alleles_and_counts_the_rest() -> None:
    stats: Counter[str] = Counter()
    rec, allele, refs, alts = select_alleles(
        ["a", "A", "N", "AX", "C"], [["g"], ["*", "T", "<DEL>"], [], ["G"], ["CA", "c"]], stats)
    assert rec.tolist() == [0, 1, 4, 4]
    assert allele.tolist() == [1, 2, 1, 2]
    assert refs == ["A", "A", "C", "C"]
    assert alts == ["G", "T", "CA", "C"]
    assert stats == Counter({"alleles_read": 7, "alleles_excluded_star": 1, "alleles_excluded_symbolic": 1,
                             "records_without_alt": 1, "records_dropped_bad_ref": 1, "alleles_dropped_bad_ref": 1})
    # the same decision as the GDI grammar's pattern, for every short string over a few letters
    for s in ["", "A", "N", "ACGTN", "a", "AXA", "X", "A A", "-"]:
        assert (classify_alt(s) == "ok") == bool(re.fullmatch(r"[ACGTN]+", s))
