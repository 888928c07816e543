"""Genotype-level steps before counting: the quality mask and ploidy.

Both work on a batch's GT array, shape (records, samples, 2): allele index,
-1 for a missing allele, -2 for an absent one (haploid call).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from goe.errors import GuidelineError
from goe.genome.ploidy import PLOIDY
from goe.guidelines.profile import Check, Profile
from goe.vcf.reader import RecordBatch

MISSING, ABSENT = -1, -2
GENOTYPE_METRICS = {"FORMAT/GQ": "GQ", "FORMAT/DP": "DP", "FORMAT/AB": "AD"}
# comparator -> operator code of goe.vcf._textvcf's mask
_OPERATORS = {"<": 1, "<=": 2, ">": 3, ">=": 4, "==": 5, "!=": 6, "between": 7}


@dataclass(frozen=True)
class GenotypeMask:
    """Which genotype checks apply (a check is None when off or its FORMAT field is absent)."""

    gq: Check | None = None
    dp: Check | None = None
    ab: Check | None = None

    @property
    def active(self) -> bool:
        return any((self.gq, self.dp, self.ab))

    def decoder_spec(self) -> tuple[float, ...] | None:
        """The mask as goe's C decoder applies it (operator, low, high per GQ, DP, AB); None if it cannot."""
        spec: list[float] = []
        for check in (self.gq, self.dp, self.ab):
            if check is None:
                spec += [0, 0.0, 0.0]
                continue
            op = _OPERATORS.get(check.comparator)
            if op is None:
                return None
            lo, hi = check.threshold if isinstance(check.threshold, tuple) else (check.threshold, 0.0)
            spec += [op, float(lo), float(hi)]
        return tuple(spec) if self.active else None

    def fields(self) -> frozenset[str]:
        """FORMAT fields the reader must decode."""
        out = set()
        if self.gq:
            out.add("GQ")
        if self.dp:
            out.add("DP")
        if self.ab:
            out.add("AD")
        return frozenset(out)


def mask_from_profile(profile: Profile, format_fields: frozenset[str]) -> tuple[GenotypeMask, list[Check]]:
    """The mask the profile asks for, less the checks whose FORMAT field the VCF lacks (returned too)."""
    chosen: dict[str, Check | None] = {"FORMAT/GQ": None, "FORMAT/DP": None, "FORMAT/AB": None}
    skipped: list[Check] = []
    for check in profile.level("genotype"):
        if check.metric not in GENOTYPE_METRICS:
            raise GuidelineError(
                f"{profile.source_path}: genotype check {check.id} uses metric {check.metric}, "
                f"which goe freq cannot apply",
                hint=f"use one of {', '.join(GENOTYPE_METRICS)}",
            )
        field = GENOTYPE_METRICS[check.metric]
        if field in format_fields:
            chosen[check.metric] = check
        else:
            skipped.append(check)
    return GenotypeMask(chosen["FORMAT/GQ"], chosen["FORMAT/DP"], chosen["FORMAT/AB"]), skipped


def _fails(check: Check, values: np.ndarray) -> np.ndarray:
    """Where integer ``values`` (-1 = missing, which passes) fail ``check``."""
    return (values >= 0) & ~check.passes(values)


def apply_mask(batch: RecordBatch, mask: GenotypeMask, stats: Counter[str]) -> None:
    """Set failing genotypes missing in ``batch.gt`` (in place); count them by reason.

    A batch the decoder already masked (``batch.masked``) only has its counts added.
    """
    if batch.masked is not None:
        for name, check, n in zip(("gq", "dp", "ab"), (mask.gq, mask.dp, mask.ab), batch.masked.tolist()[:3],
                                  strict=True):
            if check is not None:
                stats[f"genotypes_masked_{name}"] += n
        stats["genotypes_masked"] += int(batch.masked[3])
        return
    gt = batch.gt
    a0, a1 = gt[..., 0], gt[..., 1]
    called = (a0 >= 0) | (a1 >= 0)
    fail = np.zeros(called.shape, dtype=bool)
    for name, check, values in (("gq", mask.gq, batch.gq), ("dp", mask.dp, batch.dp)):
        if check is None or values is None:
            continue
        bad = _fails(check, values)
        bad &= called
        stats[f"genotypes_masked_{name}"] += int(np.count_nonzero(bad))
        fail |= bad
    if mask.ab is not None and batch.ad is not None:
        # allele balance of heterozygous calls only: few genotypes, so work on their indices
        het = np.flatnonzero((a0 >= 0) & (a1 >= 0) & (a0 != a1))
        h0, h1 = a0.reshape(-1)[het], a1.reshape(-1)[het]
        ad = batch.ad.reshape(-1, 2)[het]
        ad0, ad1 = ad[:, 0].astype(np.float64), ad[:, 1].astype(np.float64)
        hi = np.where(h1 > h0, ad1, ad0)
        total = ad0 + ad1
        with np.errstate(invalid="ignore", divide="ignore"):
            ab = hi / total
        ab[(ad0 < 0) | (ad1 < 0) | (total <= 0)] = np.nan
        bad_het = ~mask.ab.passes(ab)
        stats["genotypes_masked_ab"] += int(np.count_nonzero(bad_het))
        fail.reshape(-1)[het[bad_het]] = True
    n_fail = int(np.count_nonzero(fail))
    stats["genotypes_masked"] += n_fail
    if n_fail:
        sel = gt[fail]
        sel[sel >= 0] = MISSING
        gt[fail] = sel


def apply_ploidy(gt: np.ndarray, classes: np.ndarray, sex: np.ndarray, stats: Counter[str]) -> np.ndarray:
    """Make calls fit the expected ploidy (in place); return the ploidy matrix (records, samples).

    Haploid regions: a diploid homozygous call becomes haploid, a half-missing
    one keeps its called allele, a heterozygous one becomes missing. Ploidy 0
    (females on Y): missing. Diploid regions: a haploid call is doubled, as
    ``bcftools +fixploidy`` does; half-missing calls stay (counted haploid).
    """
    a0, a1 = gt[..., 0], gt[..., 1]
    if (PLOIDY[np.unique(classes)] == 2).all():  # autosomes and PARs: only haploid calls to double
        dip = a1 == ABSENT
        if dip.any():
            stats["haploid_in_diploid_doubled"] += int((dip & (a0 >= 0)).sum())
            a1[dip] = a0[dip]
        return np.full(a0.shape, 2, dtype=np.int8)
    ploidy = PLOIDY[classes[:, None], sex[None, :]]
    diploid_shape = a1 != ABSENT
    hap = (ploidy == 1) & diploid_shape
    if hap.any():
        both = hap & (a0 >= 0) & (a1 >= 0)
        het = both & (a0 != a1)
        stats["het_in_haploid_set_missing"] += int(het.sum())
        new0 = np.where(a0 >= 0, a0, a1)
        new0 = np.where(het, MISSING, new0)
        a0[hap] = new0[hap]
        a1[hap] = ABSENT
    zero = ploidy == 0
    if zero.any():
        a0[zero] = MISSING
        a1[zero] = ABSENT
    dip = (ploidy == 2) & ~diploid_shape
    if dip.any():
        stats["haploid_in_diploid_doubled"] += int((dip & (a0 >= 0)).sum())
        a1[dip] = a0[dip]
    return ploidy
