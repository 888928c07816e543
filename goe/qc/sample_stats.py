"""Per-sample counts from genotypes, in one streaming pass over record batches.

The counts mirror ``bcftools stats -s -`` (PSC and PSI sections) exactly:
genotype classes as htslib's ``bcf_gt_type`` (any missing allele makes the
call unknown; haploid calls are counted apart), SNV/indel typing as htslib's
``bcf_get_variant_type``, transitions judged on the first base of REF and
ALT, a singleton being a record where exactly one sample is non-reference.
goe adds what QC needs beyond that: autosomal call rate, GQ, chrX
heterozygosity for sex, chrY calls, and hom-alt REF reads for contamination.
"""

from __future__ import annotations

import numpy as np

from goe.genome.ploidy import SiteClass
from goe.vcf.reader import RecordBatch
from goe.vcf.vartype import INDEL, SNP, acgt, allele_type

# bcftools PSC/PSI counters, then goe's own.
COUNTERS = (
    "n_ref_hom", "n_non_ref_hom", "n_hets", "n_transitions", "n_transversions", "n_indels",
    "n_singletons", "n_hap_ref", "n_hap_alt", "n_missing", "n_ins_hets", "n_del_hets",
    "n_ins_alt_homs", "n_del_alt_homs", "dp_sum", "dp_n", "gq_sum", "gq_n",
    "auto_records", "auto_called", "auto_hets", "auto_non_ref_hom",
    "x_sites", "x_called", "x_het", "x_calls", "x_haploid", "y_records", "y_called",
)
FLOATS = ("x_expected_het", "contam_ref_reads", "contam_expected")
COMMON_MAF = 0.05  # sites used for sex (chrX F) and kinship


class SampleStats:
    """Accumulators, one value per sample, that add up across partitions."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.counts = {k: np.zeros(n, dtype=np.int64) for k in COUNTERS}
        self.floats = {k: np.zeros(n, dtype=np.float64) for k in FLOATS}

    def add(self, other: SampleStats) -> None:
        for k in COUNTERS:
            self.counts[k] += other.counts[k]
        for k in FLOATS:
            self.floats[k] += other.floats[k]


def _allele_tables(batch: RecordBatch) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per record and allele index: htslib type flags, length change, ALT first-base code; REF code; n ALTs."""
    width = 1 + max((len(a) for a in batch.alts), default=0)
    b = len(batch)
    types = np.zeros((b, width), dtype=np.int32)
    lens = np.zeros((b, width), dtype=np.int32)
    bases = np.full((b, width), -1, dtype=np.int32)
    ref_code = np.zeros(b, dtype=np.int32)
    n_alt = np.zeros(b, dtype=np.int32)
    for i, (ref, alts) in enumerate(zip(batch.refs, batch.alts, strict=True)):
        ref_code[i] = acgt(ref)
        n_alt[i] = len(alts)
        for k, alt in enumerate(alts, start=1):
            t, n = allele_type(ref, alt)
            types[i, k], lens[i, k], bases[i, k] = t, n, acgt(alt)
    return types, lens, bases, ref_code, n_alt


def _take(table: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return np.take_along_axis(table, idx.astype(np.int64), axis=1)


def update_stats(stats: SampleStats, batch: RecordBatch, classes: np.ndarray) -> None:
    """Add one batch (raw genotypes, no mask, no ploidy fix) to ``stats``; ``classes`` are SiteClass codes."""
    c = stats.counts
    gt = batch.gt
    a0, a1 = gt[..., 0].astype(np.int32), gt[..., 1].astype(np.int32)
    unkn = (a0 == -1) | (a1 == -1)
    hap = (a1 == -2) & ~unkn
    dip = ~unkn & ~hap
    hom_rr = dip & (a0 == 0) & (a1 == 0)
    has_ref = dip & ((a0 == 0) | (a1 == 0))
    hom_aa = dip & (a0 == a1) & (a0 > 0)
    het_ra = has_ref & ~hom_rr
    het_aa = dip & (a0 > 0) & (a1 > 0) & (a0 != a1)
    het = het_ra | het_aa
    ial = np.where(het_ra, np.maximum(a0, a1), np.where(hom_aa, a0, np.where(het_aa, np.minimum(a0, a1), 0)))
    jal = np.where(het_aa, np.maximum(a0, a1), 0)
    ial = np.where(dip, ial, 0)

    types, lens, bases, ref_code, n_alt = _allele_tables(batch)
    t_i, t_j = _take(types, ial), _take(types, jal)
    var_type = t_i | t_j
    snp_branch = dip & (((var_type & SNP) != 0) | (var_type == 0))
    c["n_hets"] += (snp_branch & het).sum(axis=0)
    c["n_ref_hom"] += (snp_branch & hom_rr).sum(axis=0)
    c["n_non_ref_hom"] += (snp_branch & hom_aa).sum(axis=0)
    nonref = dip & ~hom_rr
    snp_alt = snp_branch & nonref & ((t_i & SNP) != 0)
    alt_code = _take(bases, ial)
    skip = snp_alt & (alt_code < 0)  # bcftools leaves this sample's record here
    counted = snp_alt & ~skip
    ts = np.abs(ref_code[:, None] - alt_code) == 2
    c["n_transitions"] += (counted & ts).sum(axis=0)
    c["n_transversions"] += (counted & ~ts).sum(axis=0)
    indel = dip & ((var_type & INDEL) != 0) & ~skip
    c["n_indels"] += (indel & nonref).sum(axis=0)
    n_i, n_j = _take(lens, ial), _take(lens, jal)
    ind_i, ind_j = (t_i & INDEL) != 0, (t_j & INDEL) != 0
    is_del = (ind_i & (n_i < 0)) | (ind_j & (n_j < 0))
    is_ins = (ind_i & (n_i >= 0)) | (ind_j & (n_j >= 0))
    c["n_del_hets"] += (indel & het & is_del).sum(axis=0)
    c["n_ins_hets"] += (indel & het & is_ins).sum(axis=0)
    c["n_del_alt_homs"] += (indel & hom_aa & (n_i < 0)).sum(axis=0)
    c["n_ins_alt_homs"] += (indel & hom_aa & (n_i >= 0)).sum(axis=0)
    single = nonref.sum(axis=1) == 1
    c["n_singletons"] += (nonref & single[:, None]).sum(axis=0)
    c["n_hap_ref"] += (hap & (a0 == 0)).sum(axis=0)
    c["n_hap_alt"] += (hap & (a0 > 0)).sum(axis=0)
    c["n_missing"] += unkn.sum(axis=0)
    if batch.dp is not None:
        has_dp = batch.dp >= 0
        c["dp_sum"] += np.where(has_dp, batch.dp, 0).sum(axis=0)
        c["dp_n"] += has_dp.sum(axis=0)
    if batch.gq is not None:
        has_gq = (batch.gq >= 0) & ~unkn
        c["gq_sum"] += np.where(has_gq, batch.gq, 0).sum(axis=0)
        c["gq_n"] += has_gq.sum(axis=0)

    called = ~unkn
    auto = classes == SiteClass.AUTOSOME
    # het/hom on autosomes only: how chrX is called (haploid or diploid males) would confound it with sex.
    c["auto_hets"] += (snp_branch & het & auto[:, None]).sum(axis=0)
    c["auto_non_ref_hom"] += (snp_branch & hom_aa & auto[:, None]).sum(axis=0)
    c["auto_records"] += int(auto.sum())
    c["auto_called"] += (called & auto[:, None]).sum(axis=0)
    _sex_inputs(stats, batch, classes, a0, a1, types, n_alt)
    _contamination(stats, batch, auto, hom_aa, types, n_alt)


def allele_freq(a0: np.ndarray, a1: np.ndarray) -> np.ndarray:
    """ALT allele frequency per record over all called alleles (biallelic use)."""
    called = (a0 >= 0).sum(axis=1) + (a1 >= 0).sum(axis=1)
    alt = (a0 > 0).sum(axis=1) + (a1 > 0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(called > 0, alt / np.maximum(called, 1), np.nan)


def biallelic_snv(types: np.ndarray, n_alt: np.ndarray) -> np.ndarray:
    """Records with one ALT that is a SNV."""
    return (n_alt == 1) & (types[:, 1] == SNP)


def _sex_inputs(
    stats: SampleStats, batch: RecordBatch, classes: np.ndarray, a0: np.ndarray, a1: np.ndarray,
    types: np.ndarray, n_alt: np.ndarray,
) -> None:
    c, f = stats.counts, stats.floats
    y = classes == SiteClass.Y
    if y.any():
        c["y_records"] += int(y.sum())
        c["y_called"] += ((a0[y] >= 0) | (a1[y] >= 0)).sum(axis=0)
    xall = classes == SiteClass.X_NONPAR
    if xall.any():
        # How the caller wrote each call: haploid or half-missing means it called the sample haploid.
        x0, x1 = a0[xall], a1[xall]
        some = (x0 >= 0) | (x1 >= 0)
        c["x_calls"] += some.sum(axis=0)
        c["x_haploid"] += (some & ((x1 == -2) | ((x0 >= 0) != (x1 >= 0)))).sum(axis=0)
    x = xall & biallelic_snv(types, n_alt)
    if not x.any():
        return
    p = allele_freq(a0[x], a1[x])
    common = (p >= COMMON_MAF) & (p <= 1 - COMMON_MAF)
    if not common.any():
        return
    x0, x1 = a0[x][common], a1[x][common]
    exp_het = 2 * p[common] * (1 - p[common])
    # A haploid or half-missing call on X shows one allele: a homozygous observation.
    obs = (x0 >= 0) | (x1 >= 0)
    het = (x0 >= 0) & (x1 >= 0) & (x0 != x1)
    c["x_sites"] += int(common.sum())
    c["x_called"] += obs.sum(axis=0)
    c["x_het"] += het.sum(axis=0)
    f["x_expected_het"] += (obs * exp_het[:, None]).sum(axis=0)


def _contamination(
    stats: SampleStats, batch: RecordBatch, auto: np.ndarray, hom_aa: np.ndarray, types: np.ndarray, n_alt: np.ndarray,
) -> None:
    """CHARR-style: REF reads at hom-alt calls against the REF reads contamination would bring."""
    if batch.ad is None or batch.ad_ref is None:
        return
    sel = auto & biallelic_snv(types, n_alt)
    if not sel.any():
        return
    a0, a1 = batch.gt[sel, :, 0], batch.gt[sel, :, 1]
    p = allele_freq(a0.astype(np.int32), a1.astype(np.int32))
    ok = (p > 0) & (p < 1)
    ref_reads = batch.ad_ref[sel].astype(np.float64)
    alt_reads = batch.ad[sel, :, 0].astype(np.float64)
    use = hom_aa[sel] & ok[:, None] & (ref_reads >= 0) & (alt_reads >= 0)
    depth = np.where(use, ref_reads + alt_reads, 0.0)
    stats.floats["contam_ref_reads"] += np.where(use, ref_reads, 0.0).sum(axis=0)
    stats.floats["contam_expected"] += (depth * (1 - np.nan_to_num(p))[:, None]).sum(axis=0)
