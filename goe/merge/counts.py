"""Combine the countries' counts of each allele into the merged populations.

A country that did not report an allele contributes AC = 0 and the AN its
callable regions and samples per sex imply (sex-aware on X and Y); outside
them it contributes nothing and the allele is "not assessed" there. AF is
always AC/AN of the sums, never an average.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from goe.merge.stats import faf, grpmax, heterogeneity_pvalue

if TYPE_CHECKING:
    from goe.merge.worker import MergeJob

FEW_COUNTRIES = "FewCountries"
AC0 = "AC0"


@dataclass
class MergedCounts:
    """Per allele (rows) and output population (columns)."""

    labels: list[str]
    ac: np.ndarray
    an: np.ndarray
    zyg: np.ndarray  # (3, R, G): AC_Hom, AC_Het, AC_Hemi; -1 where an input did not give them
    not_assessed: list[list[str]]
    withheld_in_input: list[list[str]]
    filters: list[str]
    faf95: np.ndarray  # (R, G) NaN where not computed (sex groups)
    grpmax: np.ndarray  # (R,) index into countries, -1 none
    grpmax_af: np.ndarray
    het_p: np.ndarray
    stats: Counter[str] = field(default_factory=Counter)

    @property
    def af(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.an > 0, self.ac / np.maximum(self.an, 1), np.nan)


def combine(job: MergeJob, records: dict[tuple[int, str, str], dict[str, Any]], keys: list[tuple[int, str, str]],
            classes: np.ndarray, ploidy: np.ndarray) -> MergedCounts:
    """Merged counts for the sorted allele ``keys`` of one region."""
    labels = list(job.labels)
    col = {lab: j for j, lab in enumerate(labels)}
    n_rows, n_cols = len(keys), len(labels)
    ac = np.zeros((n_rows, n_cols), dtype=np.int64)
    an = np.zeros((n_rows, n_cols), dtype=np.int64)
    zyg = np.zeros((3, n_rows, n_cols), dtype=np.int64)
    pos = np.array([k[0] for k in keys], dtype=np.int64)
    countries = list(job.countries)
    assessed = np.zeros((n_rows, len(countries)), dtype=bool)
    reported_all = np.ones(n_rows, dtype=bool)
    imputed = np.zeros(n_rows, dtype=bool)
    withheld_in: list[list[str]] = [[] for _ in keys]
    for inp in job.inputs:
        callable_here = (
            inp.callable.contains(job.contig, pos) if inp.callable is not None
            else np.full(n_rows, job.contig in inp.assumed)
        )
        for ci in inp.countries:
            k = countries.index(ci.country)
            samples = ci.samples or {"male": 0, "female": 0}
            m, f = samples["male"], samples["female"]
            for label in ci.fields:
                j = col[label]
                sex = label.rsplit("_", 1)[1] if "_" in label else None
                males = m if sex in (None, "M") else 0
                females = f if sex in (None, "F") else 0
                expected = ploidy[classes, 0].astype(np.int64) * males + ploidy[classes, 1].astype(np.int64) * females
                for r, key in enumerate(keys):
                    entry = records[key]
                    vals = entry["values"].get(label)
                    if vals is not None:
                        ac[r, j], an[r, j] = vals[0], vals[1]
                        zyg[:, r, j] = vals[2:]
                        if label == ci.country:
                            assessed[r, k] = True
                    elif ci.country in entry["withheld"]:
                        zyg[:, r, j] = -1
                        if label == ci.country:
                            withheld_in[r].append(ci.country)
                            reported_all[r] = False
                    elif callable_here[r]:
                        an[r, j] = expected[r]
                        if label == ci.country:
                            assessed[r, k] = True
                            imputed[r] = True
                            reported_all[r] = False
                    elif label == ci.country:
                        reported_all[r] = False
    _totals(labels, col, countries, ac, an, zyg)
    cidx = [col[c] for c in countries]
    with np.errstate(invalid="ignore", divide="ignore"):
        af_c = np.where(an[:, cidx] > 0, ac[:, cidx] / np.maximum(an[:, cidx], 1), np.nan)
    faf95 = np.full((n_rows, n_cols), np.nan)
    for j in [col["Total"], *cidx]:
        faf95[:, j] = faf(ac[:, j], an[:, j], 0.95)
    gidx, gaf = grpmax(af_c, an[:, cidx], countries, job.params.grpmax_min_an)
    het_p = heterogeneity_pvalue(ac[:, cidx], np.where(assessed, an[:, cidx], 0))
    need = max(1, math.ceil(job.params.min_assessed_fraction * len(countries)))
    filters = []
    st: Counter[str] = Counter()
    total = col["Total"]
    for r, key in enumerate(keys):
        # AC0 says a country had no ALT allele left; for the merged allele it is recomputed from the sums.
        fl = sorted(f for f in records[key]["filters"] if f != AC0)
        if ac[r, total] == 0 and not withheld_in[r]:  # a country that withheld it did carry it
            fl.append(AC0)
        if assessed[r].sum() < need:
            fl.append(FEW_COUNTRIES)
        filters.append(";".join(fl) if fl else "PASS")
    not_assessed = [
        [c for k, c in enumerate(countries) if not assessed[r, k] and c not in withheld_in[r]] for r in range(n_rows)
    ]
    st["alleles_written"] += n_rows
    st["alleles_reported_by_every_country"] += int(reported_all.sum())
    st["alleles_with_an_from_callable_regions"] += int(imputed.sum())
    st["alleles_not_assessed_somewhere"] += int((~assessed).any(axis=1).sum())
    st["alleles_filtered_FewCountries"] += sum(FEW_COUNTRIES in f.split(";") for f in filters)
    st["alleles_af_heterogeneous"] += int((het_p < job.params.heterogeneity_p).sum())
    st["alleles_pass"] += sum(f == "PASS" for f in filters)
    return MergedCounts(labels, ac, an, zyg, not_assessed, withheld_in, filters, faf95, gidx, gaf, het_p, st)


def _totals(labels: list[str], col: dict[str, int], countries: list[str], ac: np.ndarray, an: np.ndarray,
            zyg: np.ndarray) -> None:
    """Total = sum of countries; M and F = sums of CC_M and CC_F (zygosity unknown if any part is)."""
    for total, suffix in (("Total", ""), ("M", "_M"), ("F", "_F")):
        if total not in col:
            continue
        parts = [col[c + suffix] for c in countries if c + suffix in col]
        j = col[total]
        ac[:, j] = ac[:, parts].sum(axis=1)
        an[:, j] = an[:, parts].sum(axis=1)
        z = zyg[:, :, parts]
        zyg[:, :, j] = np.where((z < 0).any(axis=2), -1, z.sum(axis=2))
