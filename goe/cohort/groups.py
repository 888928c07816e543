"""Population groups: Total, each sex, each country, each country x sex, extra strata.

Labels follow the GDI population grammar: ``Total``, ``FI``, ``M``, ``FI_M``.
Extra strata (``--group-by region``) are labelled ``region=north``; they are
not part of the GDI grammar, so the sites VCF writes them under a ``goe_``
prefix that GDI readers ignore.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from goe.cohort.sheet import Sample
from goe.errors import UsageError

# A stratum of a few people publishes little more than their genotypes, and a column whose
# values are nearly unique per sample (a family or sample ID) would put those IDs into the
# package's labels: --group-by strata need at least this many samples.
MIN_STRATUM_SAMPLES = 20


@dataclass(frozen=True)
class Group:
    """One population: a label and the VCF columns (of the kept samples) it covers."""

    label: str
    kind: str  # total | sex | country | country_sex | stratum
    members: np.ndarray  # bool, one per kept sample (VCF order)

    @property
    def n_samples(self) -> int:
        return int(self.members.sum())

    @property
    def info_suffix(self) -> str:
        """Suffix after the statistic in INFO names: ``""``, ``_FI``, ``_FI_M``."""
        if self.kind == "total":
            return ""
        if self.kind == "stratum":
            return "_" + re.sub(r"[^A-Za-z0-9]", "_", self.label.replace("=", "_"))
        return "_" + self.label

    @property
    def info_prefix(self) -> str:
        """Extra strata are written as ``goe_AC_region_north`` so GDI readers skip them."""
        return "goe_" if self.kind == "stratum" else ""


@dataclass(frozen=True)
class GroupSet:
    """All groups of a run, with the sample x group indicator matrix used for counting."""

    groups: tuple[Group, ...]
    sex: np.ndarray  # int8 per kept sample: 0 male, 1 female

    @property
    def matrix(self) -> np.ndarray:
        """float32 (samples x groups) 0/1 matrix: counts per group are ``values @ matrix``."""
        return np.stack([g.members for g in self.groups], axis=1).astype(np.float32)

    @property
    def labels(self) -> list[str]:
        return [g.label for g in self.groups]

    def sample_counts(self) -> dict[str, dict[str, int]]:
        """Per group: samples, males, females."""
        male = self.sex == 0
        return {
            g.label: {
                "samples": g.n_samples,
                "male": int((g.members & male).sum()),
                "female": int((g.members & ~male).sum()),
            }
            for g in self.groups
        }


def build_groups(
    samples: Sequence[Sample], group_by: Sequence[str] = (), min_stratum: int = MIN_STRATUM_SAMPLES
) -> GroupSet:
    """Build the groups for ``samples`` (in VCF column order); empty groups are left out.

    ``--group-by`` strata with fewer than ``min_stratum`` samples are left out (with a warning);
    a column none of whose values reaches it is refused.
    """
    n = len(samples)
    sex = np.array([0 if s.sex == "M" else 1 for s in samples], dtype=np.int8)
    country = np.array([s.country for s in samples])
    groups: list[Group] = [Group("Total", "total", np.ones(n, dtype=bool))]
    for code, name in ((0, "M"), (1, "F")):
        groups.append(Group(name, "sex", sex == code))
    for c in sorted(set(country.tolist())):
        in_c = country == c
        groups.append(Group(c, "country", in_c))
        for code, name in ((0, "M"), (1, "F")):
            groups.append(Group(f"{c}_{name}", "country_sex", in_c & (sex == code)))
    for i, column in enumerate(group_by):
        if column in group_by[:i]:
            raise UsageError(f"--group-by {column} is given twice", hint="give each column once")
        if column in ("country", "sex", "sample_id", "vcf_sample_id"):
            raise UsageError(
                f"--group-by {column}: goe already groups by country and sex",
                hint="--group-by takes extra sample-sheet columns" + (
                    f": {', '.join(samples[0].extra)}" if samples and samples[0].extra else ""),
            )
        if samples and column not in samples[0].extra:
            known = ", ".join(samples[0].extra) or "none"
            raise UsageError(
                f"--group-by {column}: no such column in the sample sheet",
                hint=f"extra columns available: {known}",
            )
        groups += _strata(column, np.array([s.extra[column] for s in samples]), min_stratum)
    kept = tuple(g for g in groups if g.members.any())
    _check_unique_info_names(kept)
    if len(kept) > 512:
        raise UsageError(
            f"{len(kept)} populations, but GDI nodes accept at most 512",
            hint="group by fewer or coarser columns",
        )
    return GroupSet(kept, sex)


def _strata(column: str, values: np.ndarray, min_stratum: int) -> list[Group]:
    """One group per non-blank value of ``column`` held by at least ``min_stratum`` samples."""
    counts = {str(v): int(n) for v, n in zip(*np.unique(values, return_counts=True), strict=True) if v}
    small = {v: n for v, n in counts.items() if n < min_stratum}
    if counts and len(small) == len(counts):
        v, n = next(iter(small.items()))
        raise UsageError(
            f"--group-by {column}: no value is held by {min_stratum} or more samples "
            f"(e.g. '{v}': {n} sample{'s' if n != 1 else ''}); a stratum that small would publish "
            "its members' genotypes",
            hint="group by a coarser column",
        )
    if small:
        v, n = next(iter(small.items()))
        logging.getLogger("goe").warning(
            f"--group-by {column}: {len(small)} value(s) held by fewer than {min_stratum} samples left out "
            f"(e.g. '{v}': {n}); their samples still count in Total, sex and country"
        )
    return [Group(f"{column}={v}", "stratum", values == v) for v in counts if v not in small]


def _check_unique_info_names(groups: Sequence[Group]) -> None:
    """Two stratum values that differ only in punctuation would write the same INFO IDs."""
    seen: dict[str, str] = {}
    for g in groups:
        name = g.info_prefix + g.info_suffix
        if name in seen:
            raise UsageError(
                f"populations '{seen[name]}' and '{g.label}' would both be written as INFO "
                f"'{g.info_prefix}AC{g.info_suffix}'",
                hint="rename one of the values in the sample sheet (INFO IDs keep letters, digits and _)",
            )
        seen[name] = g.label
