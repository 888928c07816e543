"""Variant QC into FILTER: the profile's variant-level checks, per ALT allele.

Site metrics (QUAL, INFO/*) apply to every ALT of a record; HWE, F_MISSING
and AC are the Total group's values for each ALT. A check whose INFO field
the VCF lacks cannot apply and is reported once; a missing value passes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from goe.errors import GuidelineError
from goe.guidelines.profile import Check, Profile

ALLELE_METRICS = ("HWE", "F_MISSING", "AC", "AF", "AN")


@dataclass(frozen=True)
class VariantFilters:
    """The variant checks that apply to this VCF, and their FILTER header lines."""

    checks: tuple[Check, ...]
    info_keys: tuple[str, ...]

    def header_lines(self) -> list[str]:
        lines = []
        for c in self.checks:
            desc = f"{c.description or c.metric}: fails unless {c.metric} {c.describe_threshold()} ({c.id}; {c.source})"
            lines.append(f'##FILTER=<ID={c.filter},Description="{_quote(desc)}">')
        return lines


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def filters_from_profile(profile: Profile, info_fields: dict[str, str]) -> tuple[VariantFilters, list[Check]]:
    """Variant checks usable on a VCF with these INFO fields; plus the checks left out (field absent)."""
    checks: list[Check] = []
    keys: list[str] = []
    skipped: list[Check] = []
    for c in profile.level("variant"):
        metric = c.metric
        if metric.startswith("INFO/"):
            key = metric[5:]
            if key not in info_fields:
                skipped.append(c)
                continue
            if info_fields[key] not in ("Integer", "Float"):
                raise GuidelineError(
                    f"{profile.source_path}: check {c.id} uses INFO/{key}, which is not numeric in the VCF"
                )
            keys.append(key)
        elif metric not in ("QUAL", *ALLELE_METRICS):
            raise GuidelineError(
                f"{profile.source_path}: variant check {c.id} uses metric {metric}, which goe freq cannot compute",
                hint="use QUAL, HWE, F_MISSING, AC, AF, AN or INFO/<field>",
            )
        checks.append(c)
    return VariantFilters(tuple(checks), tuple(keys)), skipped


def evaluate_filters(
    vf: VariantFilters,
    qual: np.ndarray,
    info: dict[str, np.ndarray],
    total: dict[str, np.ndarray],
    row_rec: np.ndarray,
    input_filters: list[str | None],
) -> list[str]:
    """FILTER value per allele row: input filters (kept) then failing checks; ``PASS`` if none."""
    n_rows = len(row_rec)
    failing: list[np.ndarray] = []
    for c in vf.checks:
        m = c.metric
        if m == "QUAL":
            values = qual[row_rec]
        elif m.startswith("INFO/"):
            values = info[m[5:]][row_rec]
        else:
            values = total[m]
        failing.append(~c.passes(values))
    names = [c.filter or c.id for c in vf.checks]
    code = np.zeros(n_rows, dtype=np.int64)  # bit j: check j fails
    for j, fails in enumerate(failing):
        code |= fails.astype(np.int64) << j
    # few distinct (input FILTER, failing checks) pairs: build each FILTER string once
    made: dict[tuple[str | None, int], str] = {}
    out: list[str] = []
    for given, bits in zip([input_filters[i] for i in row_rec.tolist()], code.tolist(), strict=True):
        value = made.get((given, bits))
        if value is None:
            parts = [f for f in (given.split(";") if given else []) if f and f != "PASS"]
            parts += [names[j] for j in range(len(names)) if bits >> j & 1 and names[j] not in parts]
            value = made[(given, bits)] = ";".join(parts) if parts else "PASS"
        out.append(value)
    return out
