"""The report's figures: metric distributions with thresholds, the sex check, relatedness."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import polars as pl

from goe.guidelines.profile import Check
from goe.qc.decide import MAD_SCALE
from goe.qc.report import svg
from goe.qc.report.markup import STATUS_COLORS, _e, _finite, _median, _table, _value

_GT, _SEQ, _OTHER = "Genotype-derived metrics (from the VCF)", "Sequencing metrics (alignment QC)", "Other metrics"


_RAW = "Raw genotype counts (bcftools stats PSC)"


RAW_COUNTS = frozenset(("n_ref_hom", "n_non_ref_hom", "n_hets", "n_transitions", "n_transversions", "n_indels",
                        "n_hap_ref", "n_hap_alt", "n_missing"))


class MetricInfo(NamedTuple):
    """Display facts about one per-sample metric."""

    title: str
    description: str
    fmt: str  # a MultiQC-style format string, e.g. "{:,.3f}"
    group: str
    suffix: str = ""


METRICS: dict[str, MetricInfo] = {
    "call_rate": MetricInfo("Call rate", "Fraction of sites with a called genotype", "{:,.4f}", _GT),
    "n_snv": MetricInfo("SNVs", "Non-reference SNV genotypes in the sample", "{:,.0f}", _GT),
    "n_indel": MetricInfo("Indels", "Non-reference indel genotypes in the sample", "{:,.0f}", _GT),
    "het_hom_ratio": MetricInfo("Het/hom ratio", "Heterozygous to homozygous-alternate calls", "{:,.2f}", _GT),
    "ti_tv": MetricInfo("Ti/Tv", "Transition to transversion ratio of SNVs", "{:,.3f}", _GT),
    "ins_del_ratio": MetricInfo("Ins/del ratio", "Insertion to deletion ratio", "{:,.2f}", _GT),
    "n_singletons": MetricInfo("Singletons", "Variants seen in this sample only", "{:,.0f}", _GT),
    "mean_dp": MetricInfo("Mean DP", "Mean read depth of the genotype calls", "{:,.1f}", _GT),
    "mean_gq": MetricInfo("Mean GQ", "Mean genotype quality", "{:,.1f}", _GT),
    "chrx_het_rate": MetricInfo("chrX het rate", "Heterozygosity on chrX outside the PARs", "{:,.4f}", _GT),
    "chrx_f": MetricInfo("chrX F", "Inbreeding coefficient on chrX (males near 1)", "{:,.3f}", _GT),
    "chry_call_rate": MetricInfo("chrY call rate", "Call rate on chrY (near 0 in females)", "{:,.3f}", _GT),
    "contamination": MetricInfo("Contamination", "Estimated DNA contamination fraction", "{:,.4f}", _GT),
    "mean_autosome_coverage": MetricInfo("Autosome coverage", "Mean read depth over the autosomes", "{:,.1f}",
                                         _SEQ, "x"),
    "pct_autosomes_15x": MetricInfo("Autosomes ≥15x", "Fraction of autosomal bases covered ≥15x", "{:,.3f}", _SEQ),
    "pct_autosomes_20x": MetricInfo("Autosomes ≥20x", "Fraction of autosomal bases covered ≥20x", "{:,.3f}", _SEQ),
    "yield_bp_q30": MetricInfo("Q30 yield", "Sequenced bases with base quality ≥30", "{:,.0f}", _SEQ, " bp"),
    "cross_contamination_rate": MetricInfo("Cross-contamination", "Estimated cross-sample contamination rate",
                                           "{:,.4f}", _SEQ),
    "pct_duplicates": MetricInfo("Duplicates", "Fraction of mapped reads marked as duplicates", "{:,.3f}", _SEQ),
    "median_insert_size": MetricInfo("Median insert size", "Median insert size of read pairs", "{:,.0f}", _SEQ,
                                     " bp"),
    "pct_mapped": MetricInfo("Mapped", "Fraction of reads mapped to the reference", "{:,.4f}", _SEQ),
    "pct_properly_paired": MetricInfo("Properly paired", "Fraction of reads properly paired", "{:,.4f}", _SEQ),
}




SEX_COLORS = {"male": "#1f77b4", "female": "#c2378e", "unknown": "#7f7f7f"}


KINSHIP_COLORS = {"duplicate": "#6a3d9a", "first degree": "#1f9e89", "second degree": "#e6a100"}


KINSHIP_LINES = ((0.354, "duplicate / MZ twin"), (0.177, "1st degree"), (0.0884, "2nd degree"))


_FAILING = {">=": "<", ">": "≤", "<=": ">", "<": "≥", "==": "≠", "!=": "="}




_KEY_COLUMNS = ("sample_id", "country", "reported_sex", "inferred_sex", "status", "reasons")


def _distributions(samples: pl.DataFrame, checks: Sequence[Check], summary: Mapping[str, Any]) -> str:
    columns = [c for c, dt in samples.schema.items() if dt.is_numeric() and c not in _KEY_COLUMNS]
    if not columns:
        return '<p class="muted">No per-sample metrics in this run.</p>'
    levels = {c.metric: c.level for c in checks}
    groups: dict[str, list[str]] = {}
    for col in columns:
        info = METRICS.get(col)
        group = info.group if info else _RAW if col in RAW_COUNTS else {"sample": _GT, "sequencing": _SEQ}.get(
            levels.get(col, ""), _OTHER)
        groups.setdefault(group, []).append(col)
    parts = ['<p class="muted small">Dashed lines are guideline thresholds: '
             f'<b style="color:{svg.FAIL_COLOR}">red = fail</b>, <b style="color:{svg.WARN_COLOR}">orange = warn</b>; '
             "the label gives the failing side.</p>"]
    not_assessed = [str(m) for m in summary.get("not_assessed", []) or []]
    if not_assessed:
        names = ", ".join(f"<code>{_e(m)}</code>" for m in not_assessed)
        parts.append(f'<p class="small">Not assessed in this run: {names}</p>')
    for group in (g for g in (_GT, _SEQ, _OTHER, _RAW) if g in groups):
        figs = [_metric_figure(col, samples[col], checks) for col in groups[group]]
        parts.append(f'<h3>{_e(group)}</h3><div class="grid">{"".join(figs)}</div>')
    return "".join(parts)


def _metric_figure(col: str, series: pl.Series, checks: Sequence[Check]) -> str:
    info = METRICS.get(col)
    title = info.title if info else col
    values = [float(v) for v in series.to_list() if _finite(v)]
    if not values:
        return f'<div class="na-box">{_e(title)}: not assessed</div>'
    unit = info.suffix.strip() if info else ""
    plot = svg.histogram(values, title=title, xlabel=col + (f" ({unit})" if unit else ""),
                         lines=_threshold_lines(col, checks, values))
    values.sort()
    missing = series.len() - len(values)
    mad = [c for c in checks if c.metric == col and c.comparator == "within_mad" and c.scope != "cohort"]
    caption = (f"{_e(info.description) + '. ' if info else ''}n = {len(values):,}, median "
               f"{svg.format_number(_median(values))}, range {svg.format_number(values[0])} to "
               f"{svg.format_number(values[-1])}" + (f"; {missing:,} not assessed" if missing else "")
               + "".join(f'; <b style="color:{STATUS_COLORS[c.severity]}">{_e(c.severity)} outside median ± '
                         f"{_scalar(c):g} MAD per {_e(c.scope)}</b>" for c in mad))
    return f"<figure>{plot}<figcaption>{caption}</figcaption></figure>"


def _threshold_lines(col: str, checks: Sequence[Check], values: Sequence[float] = ()) -> list[svg.Line]:
    """Lines for the checks on ``col``; ``within_mad`` ones only when cohort-wide (per-country bounds differ)."""
    lines = []
    for c in checks:
        if c.metric != col:
            continue
        if c.comparator == "between":
            lo, hi = c.threshold  # type: ignore[misc]
            lines += [svg.threshold_line(lo, c.severity, f"{c.severity} < {lo:g}"),
                      svg.threshold_line(hi, c.severity, f"{c.severity} > {hi:g}")]
        elif c.comparator == "within_mad":
            if c.scope == "cohort" and len(values) >= 3:
                med, k = _median(values), _scalar(c)
                mad = MAD_SCALE * _median([abs(v - med) for v in values]) * k
                lines += [svg.threshold_line(med - mad, c.severity, f"{c.severity} < median − {k:g} MAD"),
                          svg.threshold_line(med + mad, c.severity, f"{c.severity} > median + {k:g} MAD")]
        elif c.comparator in _FAILING:
            t = _scalar(c)
            lines.append(svg.threshold_line(t, c.severity, f"{c.severity} {_FAILING[c.comparator]} {t:g}"))
    return lines


def _scalar(c: Check) -> float:
    return float("nan") if isinstance(c.threshold, tuple) else float(c.threshold)


def _sex_plot(samples: pl.DataFrame, checks: Sequence[Check]) -> str:
    xcol = next((c for c in ("chrx_het_rate", "chrx_f") if c in samples.columns
                 and any(_finite(v) for v in samples[c].to_list())), None)
    if xcol is None or "chry_call_rate" not in samples.columns:
        return '<p class="muted">Sex check not assessed (needs chrX heterozygosity or F, and chrY call rate).</p>'
    points, odd = [], []
    for r in samples.iter_rows(named=True):
        x, y = r.get(xcol), r.get("chry_call_rate")
        rep, inf = str(r.get("reported_sex") or "unknown"), str(r.get("inferred_sex") or "unknown")
        if rep != inf:
            odd.append(f"{_e(r.get('sample_id'))} ({_e(r.get('country'))}, reported {_e(rep)}, inferred {_e(inf)})")
        if _finite(x) and _finite(y):
            label = f"{r.get('sample_id')} ({r.get('country')}): reported {rep}, inferred {inf}"
            points.append(svg.Point(float(x), float(y), rep, rep != inf, label))
    if not points:
        return '<p class="muted">Sex check not assessed (no sample has both metrics).</p>'
    plot = svg.scatter(points, title="Reported sex against chrX and chrY signal", xlabel=xcol, ylabel="chry_call_rate",
                       colors=SEX_COLORS, vlines=_threshold_lines(xcol, checks),
                       hlines=_threshold_lines("chry_call_rate", checks), highlight_label="inferred ≠ reported",
                       xlim=(0.0, 0.0), ylim=(0.0, 0.0), width=820, height=420)
    shown = "; ".join(odd[:20]) + (f"; and {len(odd) - 20:,} more" if len(odd) > 20 else "")
    caption = ("<p>Colour = reported sex. Males are expected top left (chrY called, little chrX "
               "heterozygosity), females bottom right.</p>"
               f"<p><b>{len(odd):,}</b> sample{'s' if len(odd) != 1 else ''} ringed in black: inferred sex differs "
               f"from reported{': ' + shown if odd else ''}.</p>")
    return f'<figure class="wide">{plot}<figcaption>{caption}</figcaption></figure>'


def _relatedness(rel: pl.DataFrame) -> str:
    if rel.height == 0:
        return '<p class="muted">No related pairs (2nd degree or closer) were found.</p>'
    pairs = sorted(rel.iter_rows(named=True), key=lambda r: (-float(r.get("kinship") or 0), str(r.get("sample_id_1")),
                                                              str(r.get("sample_id_2"))))
    points = [svg.Point(float(r["ibs0"]), float(r["kinship"]), str(r.get("relationship", "")), False,
                        f"{r.get('sample_id_1')} – {r.get('sample_id_2')}: {r.get('relationship')}")
              for r in pairs if _finite(r.get("ibs0")) and _finite(r.get("kinship"))]
    hlines = [svg.Line(v, f"{name} ({v:g})", svg.REF_COLOR) for v, name in KINSHIP_LINES]
    plot = svg.scatter(points, title="Kinship against IBS0 for related pairs", xlabel="ibs0 (fraction of sites with "
                       "opposite homozygotes)", ylabel="kinship", colors=KINSHIP_COLORS, hlines=hlines,
                       xlim=(0.0, 0.0), ylim=(0.0, 0.5), width=820, height=420)
    body = [f"<tr><td>{_e(r.get('sample_id_1', ''))}</td><td>{_e(r.get('sample_id_2', ''))}</td>"
            f"<td>{_e(r.get('relationship', ''))}</td><td class=num>{_value(r.get('kinship'))}</td>"
            f"<td class=num>{_value(r.get('ibs0'))}</td><td>{_e(r.get('excluded') or '—')}</td></tr>" for r in pairs]
    counts = Counter(str(r.get("relationship", "")) for r in pairs)
    caption = ("<p>" + ", ".join(f"<b>{v:,}</b> {_e(k)}" for k, v in sorted(counts.items())) + " pairs; "
               f"<b>{sum(bool(r.get('excluded')) for r in pairs):,}</b> samples excluded.</p>"
               "<p>Dashed lines: lower kinship bounds of each degree. Parent–offspring pairs sit at IBS0 ≈ 0 "
               "with kinship ≈ 0.25; full siblings share the kinship but have some IBS0.</p>")
    return (f'<figure class="wide">{plot}<figcaption>{caption}</figcaption></figure>'
            f"<h3>Related pairs ({len(pairs):,})</h3>"
            + _table(["Sample 1", "Sample 2", "Relationship", "Kinship", "IBS0", "Excluded"], body,
                     numeric={3, 4}, sorted_col=3))
