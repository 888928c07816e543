"""`goe check`'s rules for the numbers of one allele: AF, AC, AN and the zygosity counts."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from goe.package.check import CheckReport


def fine(af: Any, ac: Any, an: Any, hom: Any, het: Any, hemi: Any) -> bool:
    """Fast path for one allele: AF, AC, AN present and consistent, zygosity counts absent or adding up to AC."""
    try:
        if not (0 <= ac <= an and 0 <= af <= 1 and round(af * an) == ac):
            return False
        return (hom is None and het is None and hemi is None) or (
            hom >= 0 and het >= 0 and hemi >= 0 and hom + het + hemi == ac)
    except TypeError:  # absent (None), several values (tuple) or not a number: the slow path says which
        return False


def values_per_alt(
    value: Any, fid: str | None, per_record: bool, n_alt: int, where: str, report: CheckReport
) -> list[Any]:
    """One value per ALT (None when absent); an AN with Number=1 is repeated for each ALT."""
    if value is None:
        return [None] * n_alt
    values = list(value) if isinstance(value, tuple) else [value]
    if len(values) == 1 and per_record:
        return values * n_alt
    if len(values) != n_alt:
        report.add(where, f"{fid} has {len(values)} value{'s' * (len(values) != 1)} for {n_alt} ALT alleles: the "
                   "Python mini-node halts on it", kind="value-count")
        return [None] * n_alt
    return values


def af_tolerance(an: int) -> int:
    """GDI's slack, in alleles, for round(AF x AN) vs AC: 1 up to 1.67 M alleles, ceil(AN x 6e-7) above."""
    return max(1, -(-an * 6 // 10_000_000))


def check_counts(ids: dict[str, str], v: dict[str, Any], where: str, report: CheckReport) -> None:
    """One allele of one population: AF in [0, 1], AC <= AN, AF x AN ~ AC, zygosity counts split AC."""
    af, ac, an = v["AF"], v["AC"], v["AN"]
    for metric, value in v.items():
        if value is not None and (not isinstance(value, (int, float)) or value < 0):
            report.add(where, f"{ids[metric]} = {value} is not a non-negative number: GDI rejects it",
                       kind="bad-value")
            return
    if af is not None and not (math.isfinite(af) and af <= 1):
        report.add(where, f"{ids['AF']} = {af:g} is outside [0, 1]: GDI rejects it", kind="bad-value")
        return
    if ac is not None and an is not None:
        if ac > an:
            report.add(where, f"{ids['AC']} = {ac} exceeds {ids['AN']} = {an}: GDI rejects it", kind="ac-over-an")
            return
        derived = round(af * an) if af is not None else ac
        if derived != ac:
            tol = af_tolerance(int(an))
            text = f"{ids['AF']}={af:.6g} and {ids['AN']}={an} give round(AF x AN) = {derived}, but {ids['AC']} = {ac}"
            if abs(derived - ac) > tol:
                report.add(where, f"{text}: GDI rejects it (it allows {tol} allele{'s' * (tol > 1)}); print AF with "
                           "more digits or recompute it as AC/AN", kind="af-inconsistent")
            else:
                report.add(where, f"{text}: within GDI's {tol}-allele slack, but AF is not AC/AN", "warning",
                           "af-inexact")
    subs = {ids[m]: v[m] for m in ("AC_Hom", "AC_Het", "AC_Hemi") if v[m] is not None}
    total = sum(subs.values())
    named = " + ".join(f"{k} ({x})" for k, x in subs.items())
    if ac is not None and subs and total > ac:
        report.add(where, f"{named} = {total} exceeds {ids['AC']} = {ac}: GDI rejects it (the zygosity counts "
                   "split AC's alleles)", kind="zygosity-sum")
    elif ac is not None and len(subs) == 3 and total != ac:
        report.add(where, f"{named} = {total}, but {ids['AC']} = {ac}: GDI rejects it (with all three present they "
                   "must add up to AC)", kind="zygosity-sum")
