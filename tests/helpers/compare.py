"""Put goe's package and the recipe's numbers side by side, and list every difference."""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import polars as pl
from cyvcf2 import VCF

from helpers.recipe import Key, RecipeResult

KEYS = ["chrom", "pos", "ref", "alt"]
INTS = ["ac", "an", "ac_hom", "ac_het", "ac_hemi", "ns"]
AF_REL = 1e-6  # the recipe's AF is a float32: ~6e-8 relative
HWE_REL = 1e-4
FLOAT32_TINY = 1.2e-38  # below this a float32 p-value is subnormal or 0
# goe's INFO names: (statistic, stem, zygosity) -> stem + suffix + zygosity (AC_FI_M_Het)
GOE_INFO = (
    ("ac", "AC", ""),
    ("an", "AN", ""),
    ("af", "AF", ""),
    ("ac_hom", "AC", "_Hom"),
    ("ac_het", "AC", "_Het"),
    ("ac_hemi", "AC", "_Hemi"),
    ("ns", "NS", ""),
    ("f_missing", "F_MISSING", ""),
    ("hwe", "HWE", ""),
)
SCHEMA = {
    "chrom": pl.String,
    "pos": pl.Int64,
    "ref": pl.String,
    "alt": pl.String,
    "population": pl.String,
    **{c: pl.Int64 for c in INTS},
    "af": pl.Float64,
    "hwe": pl.Float64,
}


def recipe_frame(result: RecipeResult) -> pl.DataFrame:
    """The recipe's counts as a long table like goe's Parquet (NaN AF -> null)."""
    cols: dict[str, list[object]] = {c: [] for c in SCHEMA}
    for (chrom, pos, ref, alt), per in result.counts.items():
        for label, v in per.items():
            cols["chrom"].append(chrom)
            cols["pos"].append(pos)
            cols["ref"].append(ref)
            cols["alt"].append(alt)
            cols["population"].append(label)
            for c in INTS:
                cols[c].append(None if math.isnan(v[c]) else int(v[c]))
            cols["af"].append(None if math.isnan(v["af"]) else v["af"])
            cols["hwe"].append(None if math.isnan(v["hwe"]) else v["hwe"])
    return pl.DataFrame(cols, schema=SCHEMA)


def goe_frame(out: Path) -> pl.DataFrame:
    """goe's frequencies.parquet."""
    return pl.read_parquet(out / "frequencies.parquet")


def sites_frame(out: Path, labels: list[str]) -> pl.DataFrame:
    """goe's sites.vcf.gz INFO, read with cyvcf2, as a long table like the Parquet."""
    cols: dict[str, list[object]] = {c: [] for c in [*SCHEMA, "f_missing", "filters"]}
    vcf = VCF(str(out / "sites.vcf.gz"))
    try:
        for rec in vcf:
            info = dict(rec.INFO)
            alt = rec.ALT[0]
            for label in labels:
                suffix = "" if label == "Total" else f"_{label}"
                cols["chrom"].append(rec.CHROM)
                cols["pos"].append(rec.POS)
                cols["ref"].append(rec.REF)
                cols["alt"].append(alt)
                cols["population"].append(label)
                cols["filters"].append(rec.FILTER or "PASS")
                for stat, stem, zyg in GOE_INFO:
                    v = info.get(f"{stem}{suffix}{zyg}")
                    if isinstance(v, tuple):
                        v = v[0]
                    cols[stat].append(v if stat not in ("af", "f_missing", "hwe") or v is None else float(v))
    finally:
        vcf.close()
    schema = {**SCHEMA, "f_missing": pl.Float64, "filters": pl.String}
    return pl.DataFrame(cols, schema=schema)


def _show(frame: pl.DataFrame, what: str, limit: int = 12) -> str:
    with pl.Config(tbl_rows=limit, tbl_cols=-1, tbl_width_chars=250):
        return f"{frame.height} {what}:\n{frame.head(limit)}"


def compare(
    goe: pl.DataFrame,
    recipe: pl.DataFrame,
    *,
    only: Iterable[Key] | None = None,
    hwe_at: Iterable[Key] | None = None,
) -> list[str]:
    """Every difference between goe's table and the recipe's (empty list = identical).

    ``only``: compare just these alleles (e.g. biallelic records when masking);
    ``hwe_at``: compare HWE just at these alleles (None = everywhere compared).
    """
    problems: list[str] = []
    cols = ["population", *INTS, "af", "hwe"]
    g = goe.select([*KEYS, *cols])
    r = recipe.select([*KEYS, *cols])
    if only is not None:
        sel = _key_frame(only)
        g = g.join(sel, on=KEYS, how="semi")
        r = r.join(sel, on=KEYS, how="semi")
    if g.height == 0:
        problems.append("nothing to compare: goe's table is empty")
    dup = g.group_by([*KEYS, "population"]).len().filter(pl.col("len") > 1)
    if dup.height:
        problems.append(_show(dup, "duplicate (allele, population) rows in goe's table"))
    joined = g.join(r, on=[*KEYS, "population"], how="full", suffix="_bcf", coalesce=True, nulls_equal=True)
    only_goe = joined.filter(pl.col("ac_bcf").is_null() & pl.col("an_bcf").is_null())
    only_bcf = joined.filter(pl.col("ac").is_null() & pl.col("an").is_null())
    if only_goe.height:
        problems.append(_show(only_goe.select([*KEYS, "population"]), "rows only in goe"))
    if only_bcf.height:
        problems.append(_show(only_bcf.select([*KEYS, "population"]), "rows only in the recipe"))
    both = joined.filter(pl.col("an").is_not_null() & pl.col("an_bcf").is_not_null())
    for c in INTS:
        bad = both.filter(pl.col(c) != pl.col(f"{c}_bcf"))
        if bad.height:
            shown = list(dict.fromkeys([*KEYS, "population", c, f"{c}_bcf", "an", "an_bcf"]))
            problems.append(_show(bad.select(shown), f"{c} differences"))
    af, afb = pl.col("af"), pl.col("af_bcf")
    af_ok = (af.is_null() & afb.is_null()) | ((af - afb).abs() <= AF_REL * pl.max_horizontal(af.abs(), afb.abs()))
    bad = both.filter(~af_ok.fill_null(False))
    if bad.height:
        problems.append(_show(bad.select([*KEYS, "population", "ac", "an", "af", "af_bcf"]), "af differences"))
    h = both
    if hwe_at is not None:
        h = both.join(_key_frame(hwe_at), on=KEYS, how="semi")
    hw, hwb = pl.col("hwe"), pl.col("hwe_bcf")
    hwe_ok = (
        ((hw - hwb).abs() <= HWE_REL * pl.max_horizontal(hw.abs(), hwb.abs()))
        | ((hw > 0.999) & (hwb > 0.999))
        | (pl.max_horizontal(hw, hwb) < FLOAT32_TINY)
    )
    bad = h.filter(~hwe_ok.fill_null(False))
    if bad.height:
        problems.append(
            _show(bad.select([*KEYS, "population", "ac_het", "ac_hom", "an", "hwe", "hwe_bcf"]), "hwe differences")
        )
    return problems


def _key_frame(keys: Iterable[Key]) -> pl.DataFrame:
    rows = list(keys)
    return pl.DataFrame(
        {
            "chrom": [k[0] for k in rows],
            "pos": [k[1] for k in rows],
            "ref": [k[2] for k in rows],
            "alt": [k[3] for k in rows],
        },
        schema={"chrom": pl.String, "pos": pl.Int64, "ref": pl.String, "alt": pl.String},
    )


def compare_sites_to_parquet(sites: pl.DataFrame, parquet: pl.DataFrame) -> list[str]:
    """The sites VCF must carry the Parquet's numbers (AF, F_MISSING, HWE as printed)."""
    problems: list[str] = []
    key = [*KEYS, "population"]
    p = parquet.select([*key, *INTS, "af", "f_missing", "hwe", "filters"])
    s = sites.select([*key, *INTS, "af", "f_missing", "hwe", "filters"])
    if p.height != s.height:
        problems.append(f"{s.height} rows in the sites VCF, {p.height} in the Parquet")
    j = p.join(s, on=key, how="full", suffix="_vcf", coalesce=True, nulls_equal=True)
    missing = j.filter(pl.col("an").is_null() | pl.col("an_vcf").is_null())
    if missing.height:
        problems.append(_show(missing.select(key), "rows in only one of sites VCF / Parquet"))
    j = j.filter(pl.col("an").is_not_null() & pl.col("an_vcf").is_not_null())
    for c in INTS:
        bad = j.filter(pl.col(c) != pl.col(f"{c}_vcf"))
        if bad.height:
            problems.append(_show(bad.select([*key, c, f"{c}_vcf"]), f"sites VCF {c} differences"))
    bad = j.filter(pl.col("filters") != pl.col("filters_vcf"))
    if bad.height:
        problems.append(_show(bad.select([*key, "filters", "filters_vcf"]), "FILTER differences"))
    # Text with >= 6 significant digits, read back as float32: within 1e-5 relative.
    for c in ("af", "f_missing", "hwe"):
        a, b = pl.col(c), pl.col(f"{c}_vcf")
        ok = (a.is_null() & b.is_null()) | ((a - b).abs() <= 1e-5 * pl.max_horizontal(a.abs(), b.abs()))
        if c == "hwe":
            ok = ok | (pl.max_horizontal(a, b) < FLOAT32_TINY)
        bad = j.filter(~ok.fill_null(False))
        if bad.height:
            problems.append(_show(bad.select([*key, c, f"{c}_vcf"]), f"sites VCF {c} differences"))
    # goe prints AF with enough digits that round(AF x AN) == AC.
    bad = j.filter(pl.col("an") > 0).filter((pl.col("af_vcf") * pl.col("an")).round(0) != pl.col("ac"))
    if bad.height:
        problems.append(_show(bad.select([*key, "ac", "an", "af_vcf"]), "round(AF x AN) != AC"))
    return problems


def haploid_call_changes(
    vcf: Path, males: set[str], par_x: tuple[tuple[int, int], ...]
) -> list[tuple[tuple[str, int, str, tuple[str, ...]], str, int | None, int | None]]:
    """Male calls on non-PAR X where goe and +fixploidy part ways (the documented differences).

    Returns (record (chrom, pos, REF, ALTs), sample, goe's allele, the recipe's allele):
    a het ``a/b`` is missing in goe and ``a`` after +fixploidy; ``./b`` is ``b`` in goe and
    missing after +fixploidy (which keeps the first allele). None = missing.
    """
    out = []
    v = VCF(str(vcf))
    try:
        cols = list(v.samples)
        idx = [i for i, c in enumerate(cols) if c in males]
        for rec in v:
            base = rec.CHROM[3:] if rec.CHROM.lower().startswith("chr") else rec.CHROM
            if base.upper() != "X" or any(lo <= rec.POS <= hi for lo, hi in par_x):
                continue
            gts = rec.genotypes
            key = (rec.CHROM, rec.POS, rec.REF, tuple(rec.ALT))
            for i in idx:
                g = gts[i][:-1]
                if len(g) != 2:
                    continue
                a, b = g
                if a >= 0 and b >= 0 and a != b:
                    out.append((key, cols[i], None, a))
                elif a < 0 and b >= 0:
                    out.append((key, cols[i], b, None))
    finally:
        v.close()
    return out


def apply_call_changes(
    frame: pl.DataFrame,
    changes: list[tuple[tuple[str, int, str, tuple[str, ...]], str, int | None, int | None]],
    groups_of: dict[str, list[str]],
) -> pl.DataFrame:
    """goe's table as it would be had each changed call been counted the recipe's way."""
    delta: dict[tuple[str, int, str, str, str], list[int]] = {}
    for (chrom, pos, ref, alts), sample, goe_allele, recipe_allele in changes:
        called = (recipe_allele is not None) - (goe_allele is not None)
        for k, alt in enumerate(alts, start=1):
            d_alt = (recipe_allele == k) - (goe_allele == k)
            for group in groups_of[sample]:
                d = delta.setdefault((chrom, pos, ref, alt, group), [0, 0, 0])
                d[0] += called  # an and ns
                d[1] += d_alt  # ac and ac_hemi
    if not delta:
        return frame
    dk = list(delta)
    adj = pl.DataFrame(
        {
            "chrom": [k[0] for k in dk],
            "pos": [k[1] for k in dk],
            "ref": [k[2] for k in dk],
            "alt": [k[3] for k in dk],
            "population": [k[4] for k in dk],
            "d_an": [delta[k][0] for k in dk],
            "d_ac": [delta[k][1] for k in dk],
        },
        schema={
            "chrom": pl.String,
            "pos": pl.Int64,
            "ref": pl.String,
            "alt": pl.String,
            "population": pl.String,
            "d_an": pl.Int64,
            "d_ac": pl.Int64,
        },
    )
    out = frame.join(adj, on=[*KEYS, "population"], how="left").with_columns(
        pl.col("d_an").fill_null(0), pl.col("d_ac").fill_null(0)
    )
    out = out.with_columns(
        (pl.col("an") + pl.col("d_an")).alias("an"),
        (pl.col("ns") + pl.col("d_an")).alias("ns"),
        (pl.col("ac") + pl.col("d_ac")).alias("ac"),
        (pl.col("ac_hemi") + pl.col("d_ac")).alias("ac_hemi"),
    )
    out = out.with_columns(pl.when(pl.col("an") > 0).then(pl.col("ac") / pl.col("an")).otherwise(None).alias("af"))
    return out.drop("d_an", "d_ac")


def f_missing_problems(frame: pl.DataFrame, populations: list[dict[str, Any]]) -> list[str]:
    """goe's F_MISSING is 1 - NS / (samples expected to have a call): females are not expected on Y.

    ``populations`` is the manifest's list (label, samples, female). Not compared with the recipe,
    whose F_MISSING counts every sample (a documented difference)."""
    sizes = pl.DataFrame(
        {
            "population": [str(p["label"]) for p in populations],
            "n": [int(p["samples"]) for p in populations],
            "nf": [int(p["female"]) for p in populations],
        }
    )
    on_y = pl.col("chrom").str.replace("^(?i:chr)", "").str.to_uppercase() == "Y"
    df = frame.join(sizes, on="population", how="left")
    expected = pl.when(on_y).then(pl.col("n") - pl.col("nf")).otherwise(pl.col("n"))
    df = df.with_columns(exp=pl.when(expected > 0).then(1 - pl.col("ns") / expected))
    ok = ((pl.col("exp") - pl.col("f_missing")).abs() < 1e-12) | (
        pl.col("exp").is_null() & pl.col("f_missing").is_null()
    )
    bad = df.filter(~ok.fill_null(False))
    return (
        [_show(bad.select([*KEYS, "population", "ns", "n", "f_missing", "exp"]), "f_missing differences")]
        if bad.height
        else []
    )
