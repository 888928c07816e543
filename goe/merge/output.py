"""Sites-VCF lines and long-table rows of a merged package."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from goe.freq.output import PARQUET_SCHEMA, format_af
from goe.merge.counts import MergedCounts

if TYPE_CHECKING:
    from goe.merge.worker import MergeJob

MERGED_SCHEMA = {**PARQUET_SCHEMA, "faf95": pl.Float64}
_ZYG = ("_Hom", "_Het", "_Hemi")


def _suffix(label: str) -> str:
    return "" if label == "Total" else "_" + label


def _g(v: float) -> str:
    return f"{v:.6g}"


def merged_lines(job: MergeJob, keys: list[tuple[int, str, str]], m: MergedCounts, withheld: np.ndarray) -> list[str]:
    """One sites-VCF line per allele; withheld populations and what would reveal them are left out."""
    countries = list(job.countries)
    col = {lab: j for j, lab in enumerate(m.labels)}
    ac, an, zyg = m.ac.tolist(), m.an.tolist(), m.zyg.tolist()
    faf_l, het = m.faf95.tolist(), m.het_p.tolist()
    out = []
    for r, (pos, ref, alt) in enumerate(keys):
        info: list[str] = []
        for j, lab in enumerate(m.labels):
            if withheld[r, j]:
                continue
            s = _suffix(lab)
            info += [f"AC{s}={ac[r][j]}", f"AN{s}={an[r][j]}", f"AF{s}={format_af(ac[r][j], an[r][j])}"]
            for z in range(3):
                if zyg[z][r][j] >= 0:
                    info.append(f"AC{s}{_ZYG[z]}={zyg[z][r][j]}")
        any_withheld = bool(withheld[r].any())
        for lab in ("Total", *countries):
            j = col[lab]
            if not withheld[r, j] and not math.isnan(faf_l[r][j]):
                info.append(f"faf95{_suffix(lab)}={_g(faf_l[r][j])}")
        g = int(m.grpmax[r])
        if g >= 0 and not any_withheld:
            j = col[countries[g]]
            info += [f"grpmax={countries[g]}", f"grpmax_ac={ac[r][j]}", f"grpmax_an={an[r][j]}",
                     f"grpmax_af={format_af(ac[r][j], an[r][j])}"]
        if not math.isnan(het[r]) and not any_withheld:
            info.append(f"goe_het_p={_g(het[r])}")
            if het[r] < job.params.heterogeneity_p:
                info.append("goe_af_heterogeneity")
        if m.not_assessed[r]:
            info.append("goe_not_assessed=" + ",".join(m.not_assessed[r]))
        if m.withheld_in_input[r]:
            info.append("goe_withheld_in_input=" + ",".join(m.withheld_in_input[r]))
        out.append(f"{job.out_contig}\t{pos}\t.\t{ref}\t{alt}\t.\t{m.filters[r]}\t{';'.join(info)}\n")
    return out


def merged_frame(
    job: MergeJob, keys: list[tuple[int, str, str]], m: MergedCounts, withheld: np.ndarray
) -> pl.DataFrame:
    """One row per (allele, population), withheld populations left out."""
    rr, gg = np.nonzero(~withheld)
    refs = np.array([k[1] for k in keys], dtype=object)
    alts = np.array([k[2] for k in keys], dtype=object)
    pos = np.array([k[0] for k in keys], dtype=np.int64)
    filters = np.array(m.filters, dtype=object)
    labels = np.array(m.labels, dtype=object)
    af = m.af[rr, gg]

    def zyg(z: int) -> pl.Series:
        v = m.zyg[z][rr, gg].astype(np.float64)
        v[v < 0] = np.nan
        return pl.Series(v, nan_to_null=True).cast(pl.Int64)

    n = len(rr)
    return pl.DataFrame(
        {
            "chrom": [job.out_contig] * n,
            "pos": pos[rr],
            "ref": refs[rr].tolist(),
            "alt": alts[rr].tolist(),
            "population": labels[gg].tolist(),
            "ac": m.ac[rr, gg],
            "an": m.an[rr, gg],
            "af": pl.Series(af, nan_to_null=True),
            "ac_hom": zyg(0),
            "ac_het": zyg(1),
            "ac_hemi": zyg(2),
            "ns": pl.Series([None] * n, dtype=pl.Int64),
            "f_missing": pl.Series([None] * n, dtype=pl.Float64),
            "hwe": pl.Series([None] * n, dtype=pl.Float64),
            "filters": filters[rr].tolist(),
            "faf95": pl.Series(m.faf95[rr, gg], nan_to_null=True),
        },
        schema=MERGED_SCHEMA,
    )
