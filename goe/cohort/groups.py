"""Population groups: Total, each sex, each country, each country x sex, extra strata.

Labels follow the GDI population grammar: ``Total``, ``FI``, ``M``, ``FI_M``.
Extra strata (``--group-by region``) are labelled ``region=north``; they are
not part of the GDI grammar, so the sites VCF writes them under a ``goe_``
prefix that GDI readers ignore.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from goe.cohort.sheet import Sample
from goe.errors import UsageError


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


def build_groups(samples: Sequence[Sample], group_by: Sequence[str] = ()) -> GroupSet:
    """Build the groups for ``samples`` (in VCF column order); empty groups are left out."""
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
    for column in group_by:
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
        values = np.array([s.extra[column] for s in samples])
        for v in sorted(set(values.tolist())):
            if v:
                groups.append(Group(f"{column}={v}", "stratum", values == v))
    kept = tuple(g for g in groups if g.members.any())
    if len(kept) > 512:
        raise UsageError(
            f"{len(kept)} populations, but GDI nodes accept at most 512",
            hint="group by fewer or coarser columns",
        )
    return GroupSet(kept, sex)
