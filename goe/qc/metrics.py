"""Per-sample QC metrics derived from the accumulated counts, and inferred sex."""

from __future__ import annotations

import numpy as np

from goe.qc.sample_stats import SampleStats

# plink --check-sex: F above 0.8 male, below 0.2 female.
SEX_F_MALE = 0.8
SEX_F_FEMALE = 0.2
# chrY call rate, used when chrX is inconclusive or absent.
SEX_Y_MALE = 0.5
SEX_Y_FEMALE = 0.1
MIN_X_SITES = 20
# A sample whose chrX calls are mostly haploid was called male by the caller.
HAPLOID_MALE = 0.5
MIN_Y_RECORDS = 20

# Columns of samples.tsv that come from the VCF, in order, with a one-line meaning.
VCF_METRICS = {
    "call_rate": "fraction of autosomal records with a complete call",
    "n_snv": "non-reference SNV genotypes (bcftools stats nHets + nNonRefHom)",
    "n_indel": "non-reference indel genotypes (bcftools stats nIndels)",
    "het_hom_ratio": "heterozygous / homozygous-alternate SNV genotypes on the autosomes",
    "ti_tv": "transitions / transversions in the sample's SNV genotypes",
    "ins_del_ratio": "insertion / deletion genotypes",
    "n_singletons": "records where the sample is the only non-reference one",
    "mean_dp": "mean FORMAT/DP",
    "mean_gq": "mean FORMAT/GQ of called genotypes",
    "chrx_het_rate": "heterozygous share of calls at common chrX non-PAR SNVs",
    "chrx_f": "chrX inbreeding coefficient F (1 - observed/expected heterozygosity)",
    "chrx_haploid_rate": "share of chrX non-PAR calls written haploid or half-missing by the caller",
    "chry_call_rate": "fraction of chrY records with a call",
    "contamination": "CHARR-style estimate: REF reads at hom-ALT calls / expected",
}
RAW_COUNTS = (
    "n_ref_hom", "n_non_ref_hom", "n_hets", "n_transitions", "n_transversions", "n_indels",
    "n_singletons", "n_hap_ref", "n_hap_alt", "n_missing",
)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = num.astype(np.float64)
    den = den.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def derive_metrics(stats: SampleStats) -> dict[str, np.ndarray]:
    """Every per-sample metric, NaN where it cannot be assessed."""
    c, f = stats.counts, stats.floats
    m = {
        "call_rate": _ratio(c["auto_called"], c["auto_records"]),
        "n_snv": (c["n_hets"] + c["n_non_ref_hom"]).astype(np.float64),
        "n_indel": c["n_indels"].astype(np.float64),
        "het_hom_ratio": _ratio(c["auto_hets"], c["auto_non_ref_hom"]),
        "ti_tv": _ratio(c["n_transitions"], c["n_transversions"]),
        "ins_del_ratio": _ratio(c["n_ins_hets"] + c["n_ins_alt_homs"], c["n_del_hets"] + c["n_del_alt_homs"]),
        "n_singletons": c["n_singletons"].astype(np.float64),
        "mean_dp": _ratio(c["dp_sum"], c["dp_n"]),
        "mean_gq": _ratio(c["gq_sum"], c["gq_n"]),
        "chrx_het_rate": _ratio(c["x_het"], c["x_called"]),
        "chrx_f": 1.0 - _ratio(c["x_het"], f["x_expected_het"]),
        "chrx_haploid_rate": _ratio(c["x_haploid"], c["x_calls"]),
        "chry_call_rate": _ratio(c["y_called"], c["y_records"]),
        "contamination": _ratio(f["contam_ref_reads"], f["contam_expected"]),
    }
    if c["x_sites"].max(initial=0) < MIN_X_SITES:
        m["chrx_f"][:] = np.nan
        m["chrx_het_rate"][:] = np.nan
    if c["y_records"].max(initial=0) < MIN_Y_RECORDS:
        m["chry_call_rate"][:] = np.nan
    return m


def infer_sex(chrx_f: np.ndarray, chry_call_rate: np.ndarray, chrx_haploid_rate: np.ndarray | None = None) -> list[str]:
    """male / female / unknown per sample.

    Where the caller wrote male chrX calls haploid (or half-missing), that
    ploidy is its sex call and decides; otherwise chrX F (plink --check-sex
    thresholds), and failing that the chrY call rate.
    """
    hap = chrx_haploid_rate if chrx_haploid_rate is not None else np.full(len(chrx_f), np.nan)
    ploidy_encoded = bool(np.nanmax(hap, initial=0.0) > HAPLOID_MALE) if len(hap) else False
    out = []
    for fx, ry, hx in zip(chrx_f.tolist(), chry_call_rate.tolist(), hap.tolist(), strict=True):
        if ploidy_encoded and not np.isnan(hx):
            out.append("male" if hx > HAPLOID_MALE else "female")
            continue
        by_x = None if np.isnan(fx) else "male" if fx > SEX_F_MALE else "female" if fx < SEX_F_FEMALE else None
        by_y = None if np.isnan(ry) else "male" if ry >= SEX_Y_MALE else "female" if ry <= SEX_Y_FEMALE else None
        # chrX decides when it can: callers often give females 0/0 calls on chrY.
        out.append(by_x or by_y or "unknown")
    return out
