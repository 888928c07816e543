"""The goe qc report layer: SVG plots, the self-contained HTML page and the MultiQC table."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from goe.guidelines.profile import Check, load_profile
from goe.qc.report import MULTIQC_FILENAME, render_report, svg, write_multiqc

EVIL_ID = "<b>x</b>"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def make_checks() -> list[Check]:
    src = "test"
    return [
        Check("sample.call_rate", "sample", "call_rate", ">=", 0.97, "fail", src, "Call rate"),
        Check("sample.call_rate_warn", "sample", "call_rate", ">=", 0.985, "warn", src, "Call rate (warn)"),
        Check("sample.ti_tv", "sample", "ti_tv", "between", (1.9, 2.2), "warn", src, "Ti/Tv"),
        Check("sample.contamination", "sample", "contamination", "<=", 0.03, "fail", src, "Contamination"),
        Check("sequencing.coverage", "sequencing", "mean_autosome_coverage", ">=", 28.0, "fail", src, "Coverage"),
        Check("sequencing.pct_15x", "sequencing", "pct_autosomes_15x", ">=", 0.85, "warn", src, "15x breadth"),
        Check("sample.sex", "sample", "sex_mismatch", "==", 0.0, "fail", src, "Sex mismatch"),
        Check("sample.relatedness", "sample", "kinship", "<=", 0.177, "fail", src, "Related"),
        Check("sample.singleton_outlier", "sample", "n_singletons", "within_mad", 4.0, "fail", src, "Outlier",
              scope="country"),
        Check("sample.het_hom_outlier", "sample", "het_hom_ratio", "within_mad", 4.0, "warn", src, "Outlier"),
    ]


def make_data() -> tuple[pl.DataFrame, pl.DataFrame, dict[str, Any], list[Check]]:
    """60 samples over 3 countries, a few planted failures, null metrics and 3 related pairs."""
    rng = np.random.default_rng(7)
    n = 60
    ids = [f"{c}{i:03d}" for c, k in (("NL", 25), ("EE", 20), ("PT", 15)) for i in range(k)]
    ids[5] = EVIL_ID
    country = [s[:2] if s != EVIL_ID else "NL" for s in ids]
    reported = ["male" if i % 2 else "female" for i in range(n)]
    inferred = list(reported)
    inferred[7], inferred[30], inferred[44] = "female", "male", "unknown"  # two swaps, one unknown
    male = np.array([s == "male" for s in inferred])
    df = pl.DataFrame({
        "sample_id": ids, "country": country, "reported_sex": reported, "inferred_sex": inferred,
        "call_rate": rng.normal(0.993, 0.003, n).clip(0, 1),
        "n_snv": rng.normal(3.9e6, 6e4, n), "n_indel": rng.normal(7.5e5, 2e4, n),
        "het_hom_ratio": rng.normal(1.6, 0.08, n), "ti_tv": rng.normal(2.05, 0.02, n),
        "n_singletons": rng.normal(2.1e4, 3e3, n), "mean_gq": rng.normal(78, 3, n),
        "chrx_het_rate": np.where(male, rng.normal(0.01, 0.005, n), rng.normal(0.32, 0.03, n)).clip(0),
        "chry_call_rate": np.where(male, rng.normal(0.93, 0.02, n), rng.normal(0.02, 0.01, n)).clip(0),
        "contamination": rng.gamma(2, 0.003, n),
        "mean_autosome_coverage": rng.normal(34, 2.5, n), "pct_autosomes_15x": rng.normal(0.95, 0.015, n),
        "yield_bp_q30": rng.normal(1.1e11, 8e9, n),
        "cross_contamination_rate": [None] * n,  # a metric that was not assessed at all
        "n_hets": rng.integers(2_000_000, 2_600_000, n), "n_missing": rng.integers(0, 50_000, n),
    }, schema_overrides={"cross_contamination_rate": pl.Float64})
    df = df.with_columns(
        pl.when(pl.int_range(pl.len()) == 3).then(0.91).otherwise(pl.col("call_rate")).alias("call_rate"),
        pl.when(pl.int_range(pl.len()) == 5).then(0.081).otherwise(pl.col("contamination")).alias("contamination"),
        pl.when(pl.int_range(pl.len()) == 40).then(19.5).otherwise(pl.col("mean_autosome_coverage"))
        .alias("mean_autosome_coverage"),
        pl.when(pl.int_range(pl.len()).is_in([50, 51])).then(None).otherwise(pl.col("ti_tv")).alias("ti_tv"),
    )
    reasons = [""] * n
    reasons[3], reasons[40] = "sample.call_rate", "sequencing.coverage"
    reasons[7], reasons[30], reasons[12] = "sample.sex", "sample.sex", "sample.call_rate_warn"
    reasons[5] = "sample.contamination,sample.sex"
    reasons[9], reasons[36] = "sample.relatedness", "sample.relatedness"  # NL009, EE011: excluded relatives
    status = ["warn" if i == 12 else "fail" if r else "pass" for i, r in enumerate(reasons)]
    df = df.insert_column(4, pl.Series("status", status)).insert_column(5, pl.Series("reasons", reasons))
    rel = pl.DataFrame({
        "sample_id_1": ["NL001", "EE002", "PT003"], "sample_id_2": ["NL009", "EE011", EVIL_ID],
        "kinship": [0.497, 0.251, 0.118], "ibs0": [0.0004, 0.0011, 0.019],
        "relationship": ["duplicate", "first degree", "second degree"], "excluded": ["NL009", "EE011", ""],
    })
    counts = {k: status.count(k) for k in ("pass", "warn", "fail")}
    summary = {
        "cohort": {"samples": n, **counts, "countries": {"NL": 25, "EE": 20, "PT": 15}},
        "cohort_checks": [
            {"id": "cohort.ti_tv_median", "description": "Median Ti/Tv", "value": 2.05, "threshold": ">= 2.0",
             "status": "pass"},
            {"id": "cohort.fail_share", "description": "Share of failing samples", "value": 0.05,
             "threshold": "<= 0.1", "status": "pass"},
        ],
        "profile": {"name": "1mg-proof-draft", "version": "0.1.0", "status": "draft"},
        "not_assessed": ["cross_contamination_rate"],
        "goe_version": "0.0.0-test",
    }
    return df, rel, summary, make_checks()


class _TagChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.svg_opened = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "svg":
            self.svg_opened += 1
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()


@pytest.fixture(scope="module")
def report() -> str:
    return render_report(*make_data())


def test_html_is_balanced(report: str) -> None:
    checker = _TagChecker()
    checker.feed(report)
    checker.close()
    assert checker.errors == []
    assert checker.stack == []
    assert report.startswith("<!DOCTYPE html>")


def test_html_loads_nothing_from_outside(report: str) -> None:
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", report, re.I)
    assert "<script" not in report.lower()
    assert "@import" not in report
    assert "url(" not in report
    assert "<link" not in report.lower()


def test_privacy_note_and_header(report: str) -> None:
    assert "contains sample IDs: do not share outside the national node" in report.lower().replace(
        "contains sample ids", "contains sample IDs")
    assert report.index("do not share") < report.index("Per-country summary")
    assert "1mg-proof-draft" in report
    assert "0.1.0" in report


def test_one_svg_per_assessed_metric_plus_sex_and_kinship(report: str) -> None:
    df, _, _, _ = make_data()
    numeric = [c for c, dt in df.schema.items() if dt.is_numeric()]
    assessed = [c for c in numeric if df[c].drop_nulls().len() > 0]
    assert len(assessed) == len(numeric) - 1  # cross_contamination_rate is all null
    assert report.count("<svg") == len(assessed) + 2
    assert "Cross-contamination: not assessed" in report
    assert "Reported sex against chrX and chrY signal" in report
    assert "Kinship against IBS0" in report


def test_thresholds_drawn_in_histograms(report: str) -> None:
    svgs = re.findall(r"<svg.*?</svg>", report, re.S)
    by_title = {re.search(r"<title>(.*?)</title>", s).group(1): s for s in svgs}  # type: ignore[union-attr]
    call_rate = by_title["Call rate"]
    assert "fail &lt; 0.97" in call_rate
    assert "warn &lt; 0.985" in call_rate
    assert svg.FAIL_COLOR in call_rate
    assert svg.WARN_COLOR in call_rate
    assert "stroke-dasharray" in call_rate
    assert "warn &lt; 1.9" in by_title["Ti/Tv"]
    assert "warn &gt; 2.2" in by_title["Ti/Tv"]
    assert "fail &lt; 28" in by_title["Autosome coverage"]
    assert "fail &gt; 0.03" in by_title["Contamination"]
    kinship = by_title["Kinship against IBS0 for related pairs"]
    for value in ("0.354", "0.177", "0.0884"):
        assert value in kinship


def test_failing_samples_listed_with_reasons(report: str) -> None:
    flagged = report[report.index('id="flagged"'):report.index('id="distributions"')]
    for sid in ("NL003", "EE015", "NL007", "EE005", "NL012"):
        assert sid in flagged
    assert "sample.call_rate</code> call_rate = <b>0.91</b>" in flagged
    assert "sequencing.coverage</code> mean_autosome_coverage = <b>19.5</b>" in flagged
    assert "sample.sex</code> <span class=\"muted\">(reported male, inferred female)" in flagged  # NL007
    assert "sample.relatedness</code> <span class=\"muted\">(duplicate of NL001, kinship 0.497)" in flagged
    assert "sample.contamination</code> contamination = <b>0.081</b>" in flagged
    assert flagged.index("NL009") < flagged.index("NL012")  # fails before warns
    assert flagged.index("EE015") < flagged.index("NL003")  # then by country
    assert "NL002" not in flagged


def test_country_table_and_pairs(report: str) -> None:
    countries = report[report.index('id="countries"'):report.index('id="cohort-checks"')]
    assert all(c in countries for c in ("NL", "EE", "PT"))
    assert "cohort.fail_share" in report
    pairs = report[report.index('id="relatedness"'):]
    assert "NL009" in pairs
    assert "first degree" in pairs
    assert "0.497" in pairs


def test_user_strings_are_escaped(report: str) -> None:
    assert EVIL_ID not in report
    assert "&lt;b&gt;x&lt;/b&gt;" in report


def test_report_with_the_bundled_profile() -> None:
    df, rel, summary, _ = make_data()
    profile = load_profile()
    checks = [*profile.level("sample"), *profile.level("sequencing")]
    html = render_report(df, rel, summary, checks)
    assert "fail &lt; 0.985" in html  # sample.call_rate of the draft profile
    assert "median ± 4 MAD per country" in html  # within_mad checks are described, not drawn
    checker = _TagChecker()
    checker.feed(html)
    assert checker.errors == []


def test_report_is_deterministic() -> None:
    assert render_report(*make_data()) == render_report(*make_data())


def test_report_without_sex_metrics_or_pairs() -> None:
    df, rel, summary, checks = make_data()
    df = df.drop("chrx_het_rate", "chry_call_rate")
    html = render_report(df, rel.clear(), summary, checks)
    assert "Sex check not assessed" in html
    assert "No related pairs" in html
    numeric = [c for c, dt in df.schema.items() if dt.is_numeric() and df[c].drop_nulls().len()]
    assert html.count("<svg") == len(numeric)


def test_multiqc_custom_content(tmp_path: Path) -> None:
    df, _, _, _ = make_data()
    path = write_multiqc(df, tmp_path / "out")
    assert path == tmp_path / "out" / MULTIQC_FILENAME
    doc = json.loads(path.read_text())
    assert {"id", "section_name", "plot_type", "pconfig", "headers", "data"} <= set(doc)
    assert doc["id"] == "goe_qc"
    assert doc["section_name"] == "goe qc"
    assert doc["plot_type"] == "table"
    assert {"id", "title"} <= set(doc["pconfig"])
    assert len(doc["data"]) == df.height
    assert set(doc["data"]) == set(df["sample_id"])
    assert doc["data"]["NL003"]["status"] == "fail"
    assert doc["data"]["NL003"]["call_rate"] == pytest.approx(0.91)
    assert "ti_tv" not in doc["data"]["PT005"]  # null metrics are left out
    assert "cross_contamination_rate" not in doc["data"]["NL000"]
    for col in ("call_rate", "mean_autosome_coverage", "status"):
        assert "description" in doc["headers"][col]
    assert doc["headers"]["call_rate"]["format"] == "{:,.4f}"
    assert write_multiqc(df, tmp_path / "x_mqc.json") == tmp_path / "x_mqc.json"


def test_svg_primitives() -> None:
    h = svg.histogram([1.0, 2.0, 2.0, 3.0], title="a<b", xlabel="x&y", lines=[svg.threshold_line(2.5, "warn", "w")])
    assert h.startswith("<svg")
    assert h.endswith("</svg>")
    assert "a&lt;b" in h
    assert "x&amp;y" in h
    assert svg.WARN_COLOR in h
    assert svg.histogram([5.0, 5.0]) == svg.histogram([5.0, 5.0])
    assert "no data" in svg.histogram([float("nan")])
    pts = [svg.Point(0.1, 0.2, "a"), svg.Point(0.3, 0.1, "b", True, "<i>")]
    s = svg.scatter(pts, colors={"a": "#123456"}, highlight_label="odd", hlines=[svg.Line(0.15, "h")])
    assert "#123456" in s
    assert "odd" in s
    assert "&lt;i&gt;" in s
    assert "<i>" not in s
    ticks, step = svg.nice_ticks(0.0, 1.0)
    assert ticks == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert step == 0.2
    assert svg.tick_label(2.5e9, 5e8, 1e10) == "2.5G"
    assert svg.format_number(4123456.0) == "4.123M"
    assert svg.format_number(12345.0) == "12,345"
