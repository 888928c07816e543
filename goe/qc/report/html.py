"""The ``goe qc`` HTML report: one self-contained page (inline CSS and SVG, no scripts).

The page stays in the country that made it (it lists sample IDs); the file
meant for sharing is ``summary.json``. Everything here only renders results
computed elsewhere: per-sample metrics and statuses, related pairs, the cohort
summary and the guideline checks.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any, NamedTuple, TypeGuard

import polars as pl

from goe.guidelines.profile import Check
from goe.qc.decide import MAD_SCALE
from goe.qc.report import svg
from goe.qc.report.style import CSS as _CSS

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
STATUS_COLORS = {"pass": svg.PASS_COLOR, "warn": svg.WARN_COLOR, "fail": svg.FAIL_COLOR}
SEX_COLORS = {"male": "#1f77b4", "female": "#c2378e", "unknown": "#7f7f7f"}
KINSHIP_COLORS = {"duplicate": "#6a3d9a", "first degree": "#1f9e89", "second degree": "#e6a100"}
KINSHIP_LINES = ((0.354, "duplicate / MZ twin"), (0.177, "1st degree"), (0.0884, "2nd degree"))
_FAILING = {">=": "<", ">": "≤", "<=": ">", "<": "≥", "==": "≠", "!=": "="}
_SYMBOL = {">=": "≥", "<=": "≤", "!=": "≠", "+-": "±"}
_KEY_COLUMNS = ("sample_id", "country", "reported_sex", "inferred_sex", "status", "reasons")



def render_report(
    samples: pl.DataFrame, relatedness: pl.DataFrame, summary: Mapping[str, Any], checks: Sequence[Check]
) -> str:
    """Render the ``goe qc`` results as one self-contained HTML page (a string).

    ``samples`` has one row per sample (ids, country, sexes, status, reasons and
    numeric metric columns, null meaning not assessed); ``relatedness`` the
    related pairs; ``summary`` the shareable aggregates; ``checks`` the
    sample/sequencing-level guideline checks whose thresholds are drawn.
    """
    rows = list(samples.iter_rows(named=True))
    profile = summary.get("profile", {}) or {}
    title = f"goe qc report: {profile.get('name', 'unknown profile')}"
    body = [
        '<div class="privacy">⚠ Contains sample IDs: do not share outside the national node. '
        "The shareable file is <code>summary.json</code>.</div>",
        _header(rows, summary),
        _section("countries", "Per-country summary", _country_table(rows)),
        _section("cohort-checks", "Cohort-level checks", _cohort_checks(summary.get("cohort_checks", []))),
        _section("flagged", "Failing and warning samples", _flagged(rows, checks, relatedness)),
        _section("distributions", "Metric distributions", _distributions(samples, checks, summary)),
        _section("sex", "Sex check", _sex_plot(samples, checks)),
        _section("relatedness", "Relatedness", _relatedness(relatedness)),
        f'<footer>Generated by goe {_e(summary.get("goe_version", ""))} · profile {_e(profile.get("name", ""))} '
        f'{_e(profile.get("version", ""))} · self-contained page, no network needed.</footer>',
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(body)
        + "\n</main>\n</body>\n</html>\n"
    )


def _header(rows: list[dict[str, Any]], summary: Mapping[str, Any]) -> str:
    profile = summary.get("profile", {}) or {}
    cohort = summary.get("cohort", {}) or {}
    counts = Counter(str(r.get("status", "")) for r in rows)
    n = int(cohort.get("samples", len(rows)))
    status = str(profile.get("status", ""))
    badge = f' <span class="badge {"draft" if status else "na"}">{_e(status)}</span>' if status else ""
    cards = [f'<div class="card"><span>Samples</span><b>{n:,}</b><span class="muted small">'
             f'{len({r.get("country") for r in rows})} countries</span></div>']
    for key in ("pass", "warn", "fail"):
        k = int(cohort.get(key, counts.get(key, 0)))
        share = f"{100 * k / n:.1f}% of samples" if n else ""
        cards.append(f'<div class="card {key}"><span>{key.title()}</span><b>{k:,}</b>'
                     f'<span class="muted small">{share}</span></div>')
    nav = "".join(f'<a href="#{a}">{t}</a>' for a, t in (
        ("countries", "Countries"), ("cohort-checks", "Cohort checks"), ("flagged", "Flagged samples"),
        ("distributions", "Distributions"), ("sex", "Sex check"), ("relatedness", "Relatedness")))
    return (
        f'<header><h1>Cohort QC report</h1><p class="meta">Guideline profile <b>{_e(profile.get("name", "?"))}</b> '
        f'version {_e(profile.get("version", "?"))}{badge} · goe {_e(summary.get("goe_version", "?"))}</p>'
        f'<div class="cards">{"".join(cards)}</div><nav>{nav}</nav></header>'
    )


def _country_table(rows: list[dict[str, Any]]) -> str:
    by: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by.setdefault(str(r.get("country", "")), []).append(r)
    body = []
    for country in sorted(by):
        rs = by[country]
        c = Counter(str(r.get("status", "")) for r in rs)
        reasons = Counter(x for r in rs for x in _reasons(r))
        ranked = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        top = ", ".join(f"<code>{_e(k)}</code> ({v})" for k, v in ranked)
        body.append(
            f"<tr><td>{_e(country)}</td><td class=num>{len(rs):,}</td><td class=num>{c['pass']:,}</td>"
            f"<td class=num>{c['warn']:,}</td><td class=num>{c['fail']:,}</td>"
            f"<td class=num>{100 * c['pass'] / len(rs):.1f}%</td><td>{top or '<span class=muted>none</span>'}</td></tr>"
        )
    return _table(["Country", "Samples", "Pass", "Warn", "Fail", "Pass rate", "Top reasons"], body,
                  numeric={1, 2, 3, 4, 5}, sorted_col=0)


def _cohort_checks(items: Iterable[Mapping[str, Any]]) -> str:
    body = [
        f"<tr><td><code>{_e(c.get('id', ''))}</code></td><td>{_e(c.get('description', ''))}</td>"
        f"<td class=num>{_value(c.get('value'))}</td><td>{_value(c.get('threshold'))}</td>"
        f"<td>{_badge(str(c.get('status', '')))}</td></tr>"
        for c in items
    ]
    if not body:
        return '<p class="muted">No cohort-level checks in this run.</p>'
    return _table(["Check", "Description", "Value", "Threshold", "Status"], body, numeric={2})


def _flagged(rows: list[dict[str, Any]], checks: Sequence[Check], rel: pl.DataFrame) -> str:
    by_id = {c.id: c for c in checks}
    partners = {str(r["excluded"]): r for r in rel.iter_rows(named=True) if r.get("excluded")}
    order = {"fail": 0, "warn": 1}
    flagged = sorted((r for r in rows if r.get("status") in order),
                     key=lambda r: (order[r["status"]], str(r.get("country")), str(r.get("sample_id"))))
    if not flagged:
        return '<p class="muted">No sample failed or was flagged with a warning.</p>'
    body = []
    for r in flagged:
        reasons = "".join(f'<span class="reason">{_reason(x, r, by_id, partners)}</span>' for x in _reasons(r))
        body.append(f"<tr><td>{_e(r.get('sample_id', ''))}</td><td>{_e(r.get('country', ''))}</td>"
                    f"<td>{_badge(r['status'])}</td><td>{reasons or '<span class=muted>none given</span>'}</td></tr>")
    note = f'<p class="muted small">{len(flagged):,} samples; sorted by status, then country, then sample.</p>'
    return note + _table(["Sample", "Country", "Status", "Reasons"], body, sorted_col=2)


def _reason(check_id: str, row: Mapping[str, Any], by_id: Mapping[str, Check], partners: Mapping[str, Any]) -> str:
    """One reason: the check id, then the value against the threshold (or what explains it)."""
    check, text = by_id.get(check_id), f"<code>{_e(check_id)}</code>"
    rep, inf, pair = row.get("reported_sex"), row.get("inferred_sex"), partners.get(str(row.get("sample_id")))
    if check is not None and check.metric in row:
        value = row[check.metric]
        shown = svg.format_number(float(value)) if _finite(value) else "not assessed"
        return (f"{text} {_e(check.metric)} = <b>{_e(shown)}</b> <span class=\"muted\">(needs "
                f"{_e(_symbolic(check.describe_threshold()))}; {_e(check.severity)})</span>")
    if "sex" in check_id and rep != inf:
        return f'{text} <span class="muted">(reported {_e(rep)}, inferred {_e(inf)})</span>'
    if pair is not None:
        other = pair["sample_id_2"] if str(pair["sample_id_1"]) == str(row.get("sample_id")) else pair["sample_id_1"]
        return (f'{text} <span class="muted">({_e(pair.get("relationship"))} of {_e(other)}, kinship '
                f'{_value(pair.get("kinship"))})</span>')
    return f'{text} <span class="muted">{_e(check.description)}</span>' if check else text


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


def _median(values: Sequence[float]) -> float:
    v = sorted(values)
    mid = len(v) // 2
    return v[mid] if len(v) % 2 else (v[mid - 1] + v[mid]) / 2


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


def _table(headers: Sequence[str], body: Sequence[str], numeric: set[int] | None = None,
           sorted_col: int | None = None) -> str:
    ths = []
    for i, h in enumerate(headers):
        cls = " ".join(x for x in ("num" if i in (numeric or set()) else "", "sorted" if i == sorted_col else "") if x)
        ths.append(f'<th class="{cls}">{_e(h)}</th>' if cls else f"<th>{_e(h)}</th>")
    return f"<table><thead><tr>{''.join(ths)}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _section(anchor: str, title: str, content: str) -> str:
    return f'<section id="{anchor}"><h2>{_e(title)}</h2>{content}</section>'


def _badge(status: str) -> str:
    cls = status if status in STATUS_COLORS else "na"
    return f'<span class="badge {cls}">{_e(status or "n/a")}</span>'


def _reasons(row: Mapping[str, Any]) -> list[str]:
    return [x.strip() for x in str(row.get("reasons") or "").split(",") if x.strip()]


def _value(v: Any) -> str:
    if v is None:
        return '<span class="muted">not assessed</span>'
    if isinstance(v, bool):
        return _e(str(v).lower())
    if isinstance(v, int | float):
        return _e(svg.format_number(float(v)))
    if isinstance(v, list | tuple):
        return " – ".join(_value(x) for x in v)
    if isinstance(v, Mapping):
        return ", ".join(f"{_e(k)}: {_value(x)}" for k, x in v.items())
    return _e(_symbolic(str(v)))


def _symbolic(text: str) -> str:
    for op, sym in _SYMBOL.items():
        text = text.replace(op, sym)
    return text


def _finite(v: Any) -> TypeGuard[float]:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _e(text: Any) -> str:
    return escape(str(text), quote=True)
