"""plink2 as a second reference for goe freq's AC and AN: ``plink2 --freq counts`` per population.

    plink2 --vcf IN --psam SHEET.psam --keep SHEET_IDS --split-par hg38|b37 --vcf-half-call h
           --allow-extra-chr --set-all-var-ids @:#:$r:$a --make-pgen
    plink2 --pfile ... --keep POPULATION_IDS --freq counts cols=chrom,pos,ref,alt,altfreq,nobs

ALT_CTS (per ALT, multi-allelic records included) is AC, OBS_CT is AN. The populations are
written down from the sheet here (Total, M, F, each country, each country_sex), independently
of goe. plink2 is told the sex of each sample, so males are haploid on X outside PAR1/PAR2,
on Y (females are not counted there) and everyone on MT, as in goe.

Where plink2 counts a call differently from goe by definition, :func:`call_deltas` says by how
much (see there), and the comparison adds exactly that to goe's numbers.

plink2's ``--split-par`` moves every X position up to the end of PAR1 into PAR1 and every one
from the start of PAR2 on into PAR2, while goe (and the assembly) puts the ends of X before
PAR1 and after PAR2 outside the PARs: haploid for males. Those stretches are N in the reference
(no variant of real data lies there; the simulation plants some), so plink2 counts the records
there from a second import of just them, without ``--split-par``: all X, haploid for males.
"""

from __future__ import annotations

import subprocess
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from cyvcf2 import VCF

from helpers.recipe import LENGTHS, PAR_X, RecipeSample, group_labels, is_primary

PLINK_BUILD = {"GRCh38": "hg38", "GRCh37": "b37"}
FREQ_COLS = "chrom,pos,ref,alt,altfreq,nobs"
KEYS = ["chrom", "pos", "ref", "alt"]
PLINK_X = {"X", "PAR1", "PAR2", "XY", "23", "25"}
PLINK_NUMERIC = {"24": "Y", "26": "MT"}
Delta = dict[tuple[str, int, str, str, str], list[float]]  # (*allele key, population) -> [d_an, d_ac]


def canonical(contig: str) -> str:
    """1-22, X, Y, MT for a VCF contig or a plink2 chromosome code (PAR1/PAR2 -> X); others as they are."""
    base = contig[3:] if contig.lower().startswith("chr") else contig
    up = base.upper()
    if up in PLINK_X:
        return "X"
    if up in ("M", "MT"):
        return "MT"
    return PLINK_NUMERIC.get(up, up)


def skipped_alt(alt: str) -> bool:
    """``*``, symbolic and breakend ALTs, which goe does not count (as the recipe skips them)."""
    return not alt or alt in ("*", ".") or alt.startswith("<") or "[" in alt or "]" in alt


def populations(samples: list[RecipeSample]) -> dict[str, list[str]]:
    """goe's populations by label (in goe's order) -> their VCF columns: Total, M, F, C, C_M, C_F."""
    members: dict[str, list[str]] = {}
    for label in group_labels(samples):
        if label == "Total":
            keep = samples
        elif label in ("M", "F"):
            keep = [s for s in samples if s.sex == label]
        elif "_" in label:
            country, sex = label.rsplit("_", 1)
            keep = [s for s in samples if s.country == country and s.sex == sex]
        else:
            keep = [s for s in samples if s.country == label]
        members[label] = [s.vcf_id for s in keep]
    return members


def _run(cmd: list[str]) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, " ".join(cmd) + "\n" + proc.stdout + proc.stderr
    return proc.stdout


def _write_ids(path: Path, ids: list[str]) -> Path:
    path.write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")
    return path


def _vcf_columns_and_contigs(vcf: Path) -> tuple[list[str], list[str]]:
    v = VCF(str(vcf))
    try:
        return list(v.samples), list(v.seqnames)
    finally:
        v.close()


@dataclass
class PlinkFreq:
    """plink2's counts as a long table like goe's (chrom as in the VCF; ``ac_plink`` a float, as
    plink2 counts dosages), the populations' members, and how many X records came from the
    second import (outside the PARs' outer ends)."""

    table: pl.DataFrame
    members: dict[str, list[str]]
    n_x_end_records: int


def _in_x_ends(chrom: str, assembly: str) -> pl.Expr:
    """Records that plink2's --split-par put in PAR1 before PAR1's start or in PAR2 after its end."""
    (p1s, _), (_, p2e) = PAR_X[assembly]
    pos = pl.col("pos")
    return ((pl.col(chrom) == "PAR1") & (pos < p1s)) | ((pl.col(chrom) == "PAR2") & (pos > p2e))


def _pvar(pfile: Path) -> pl.DataFrame:
    df = pl.read_csv(f"{pfile}.pvar", separator="\t", comment_prefix="##", infer_schema=False)
    return df.select(pl.col("#CHROM").alias("chrom"), pl.col("POS").cast(pl.Int64).alias("pos"))


def plink_freq(plink2: str, vcf: Path, samples: list[RecipeSample], assembly: str, workdir: Path) -> PlinkFreq:
    """``plink2 --freq counts`` of every goe population of ``samples`` on ``vcf`` (see the module)."""
    workdir.mkdir(parents=True, exist_ok=True)
    columns, contigs = _vcf_columns_and_contigs(vcf)
    sex_of = {s.vcf_id: "1" if s.sex == "M" else "2" for s in samples}
    # Every VCF column must be in the .psam; those not in the sheet are left out by --keep.
    psam = workdir / "all.psam"
    psam.write_text("#IID\tSEX\n" + "".join(f"{c}\t{sex_of.get(c, 'NA')}\n" for c in columns), encoding="utf-8")
    sheet_ids = _write_ids(workdir / "sheet.ids", [s.vcf_id for s in samples])
    base = [plink2, "--threads", "2", "--memory", "1024", "--allow-extra-chr"]
    load = [*base, "--vcf", str(vcf), "--psam", str(psam), "--keep", str(sheet_ids), "--vcf-half-call", "h"]
    load += ["--set-all-var-ids", "@:#:$r:$a", "--new-id-max-allele-len", "1000", "truncate"]
    main = workdir / "main"
    _run([*load, "--split-par", PLINK_BUILD[assembly], "--make-pgen", "--out", str(main)])
    (p1s, _), (_, p2e) = PAR_X[assembly]
    n_ends = _pvar(main).filter(_in_x_ends("chrom", assembly)).height
    pfiles = [main]
    if n_ends:  # the ends of X again, without --split-par: haploid for males, as in goe
        bed = workdir / "x-ends.bed1"
        x_names = [c for c in contigs if canonical(c) == "X"]
        ranges = ((1, p1s - 1), (p2e + 1, LENGTHS[assembly]["X"]))
        bed.write_text("".join(f"{x}\t{lo}\t{hi}\n" for x in x_names for lo, hi in ranges), encoding="utf-8")
        ends = workdir / "x-ends"
        _run([*load, "--extract", "bed1", str(bed), "--make-pgen", "--out", str(ends)])
        assert _pvar(ends).height == n_ends, "the second import has other records than the ends of X"
        pfiles.append(ends)
    name_of = {canonical(c): c for c in contigs if is_primary(c)}
    members = populations(samples)
    freq = ["--freq", "counts", f"cols={FREQ_COLS}"]
    frames = []
    for label, ids in members.items():
        keep = _write_ids(workdir / f"{label}.ids", ids)
        for pfile in pfiles:
            out = workdir / f"{pfile.name}.{label}"
            _run([*base, "--pfile", str(pfile), "--keep", str(keep), *freq, "--out", str(out)])
            frame = _read_acount(Path(f"{out}.acount"), name_of)
            if pfile == main:  # the ends of X come from the second import
                frame = frame.filter(~_in_x_ends("plink_chrom", assembly))
            frames.append(frame.with_columns(population=pl.lit(label)))
    table = pl.concat(frames).drop("plink_chrom")
    return PlinkFreq(table, members, n_ends)


def _read_acount(path: Path, name_of: dict[str, str]) -> pl.DataFrame:
    """One .acount file, one row per ALT; only primary contigs, no ``*`` or symbolic ALTs (goe
    skips those); chrom renamed as in the VCF."""
    raw = pl.read_csv(path, separator="\t", infer_schema=False)
    df = raw.select(
        pl.col("#CHROM").alias("plink_chrom"),
        pl.col("POS").cast(pl.Int64).alias("pos"),
        pl.col("REF").alias("ref"),
        pl.col("ALT").str.split(",").alias("alt"),
        pl.col("ALT_CTS").str.split(",").alias("ac_plink"),
        pl.col("OBS_CT").cast(pl.Int64).alias("an_plink"),
    ).explode(["alt", "ac_plink"])
    codes = df["plink_chrom"].unique().to_list()
    chrom = pl.col("plink_chrom").replace_strict({c: name_of.get(canonical(c)) for c in codes}, return_dtype=pl.String)
    df = df.with_columns(chrom=chrom, ac_plink=pl.col("ac_plink").cast(pl.Float64))
    alts = df["alt"].unique().to_list()
    symbolic = pl.col("alt").is_in([a for a in alts if skipped_alt(a)])
    return df.filter(pl.col("chrom").is_not_null() & ~symbolic).select(
        "chrom", "plink_chrom", "pos", "ref", "alt", "ac_plink", "an_plink"
    )


@dataclass
class CallDeltas:
    """What plink2 counts beyond goe, per (allele, population), and the calls behind it."""

    delta: Delta
    half_calls_diploid: int = 0  # ``./b`` or ``b/.`` where the sample is diploid
    het_haploid: int = 0  # ``a/b`` (a != b, both called) where the sample is haploid


def call_deltas(vcf: Path, samples: list[RecipeSample], assembly: str, members: dict[str, list[str]]) -> CallDeltas:
    """The definitional differences, call by call, as plink2-minus-goe per allele and population.

    * A half call (one allele called, one missing) where the sample is diploid: goe counts the
      one called allele (AN +1, as ``bcftools +fill-tags``); plink2 has no half calls and
      ``--vcf-half-call h`` makes it haploid, i.e. homozygous in a diploid region: AN +2.
      (``m`` would make it missing, AN +0; either way one allele apart.) plink2 = goe + 1 allele.
      Where the sample is haploid (males on non-PAR X, as 1000 Genomes phase 3 writes ``0/.``)
      both count the called allele once: no difference.
    * A heterozygous call where the sample is haploid (a male on non-PAR X): goe sets it missing
      (``het_in_haploid_set_missing``); plink2's --freq counts it as dosage 0.5 of each allele
      ("heterozygous haploid calls count as 0.5"): AN +1, AC +0.5 for each of the two alleles.
    """
    (p1s, p1e), (p2s, p2e) = PAR_X[assembly]
    pops_of: dict[str, list[str]] = defaultdict(list)
    for label, ids in members.items():
        for i in ids:
            pops_of[i].append(label)
    male = {s.vcf_id for s in samples if s.sex == "M"}
    out = CallDeltas({})
    v = VCF(str(vcf))
    try:
        cols = list(v.samples)
        idx = np.array([i for i, c in enumerate(cols) if c in pops_of], dtype=np.int64)
        is_male = np.array([cols[i] in male for i in idx])
        for rec in v:
            base = canonical(rec.CHROM)
            if not is_primary(rec.CHROM) or base in ("Y", "MT"):  # haploid or absent for all: no half/het rule
                continue
            gt = rec.genotype.array()[idx, :2]
            if gt.shape[1] < 2:
                continue
            a, b = gt[:, 0], gt[:, 1]
            in_par = any(lo <= rec.POS <= hi for lo, hi in ((p1s, p1e), (p2s, p2e)))
            haploid = is_male if base == "X" and not in_par else np.zeros(len(idx), dtype=bool)
            half = ((a == -1) & (b >= 0)) | ((a >= 0) & (b == -1))
            het = (a >= 0) & (b >= 0) & (a != b)
            key = (rec.CHROM, rec.POS, rec.REF)
            for j in np.flatnonzero(half & ~haploid).tolist():
                out.half_calls_diploid += 1
                _add(out.delta, key, rec.ALT, pops_of[cols[idx[j]]], {int(max(a[j], b[j])): 1.0})
            for j in np.flatnonzero(het & haploid).tolist():
                out.het_haploid += 1
                _add(out.delta, key, rec.ALT, pops_of[cols[idx[j]]], {int(a[j]): 0.5, int(b[j]): 0.5})
    finally:
        v.close()
    return out


def _add(delta: Delta, key: tuple[str, int, str], alts: list[str], pops: list[str], extra: dict[int, float]) -> None:
    """One call: plink2 counts one more allele observation, ``extra`` (allele index -> copies) more ALTs."""
    for k, alt in enumerate(alts, start=1):
        if skipped_alt(alt):
            continue
        for label in pops:
            d = delta.setdefault((*key, alt, label), [0.0, 0.0])
            d[0] += 1.0
            d[1] += extra.get(k, 0.0)


def compare_counts(goe: pl.DataFrame, plink: pl.DataFrame, delta: Delta) -> tuple[list[str], pl.DataFrame]:
    """Every difference between goe's AC/AN + ``delta`` and plink2's ALT_CTS/OBS_CT (empty = equal),
    and the joined table (``corrected``: the row has a non-zero delta)."""
    problems: list[str] = []
    g = goe.select([*KEYS, "population", "ac", "an"])
    for name, frame in (("goe", g), ("plink2", plink)):
        dup = frame.group_by([*KEYS, "population"]).len().filter(pl.col("len") > 1)
        if dup.height:
            problems.append(_show(dup, f"duplicate (allele, population) rows in {name}'s table"))
    dk = list(delta)
    d = pl.DataFrame(
        {
            **{c: [k[i] for k in dk] for i, c in enumerate([*KEYS, "population"])},
            "d_an": [delta[k][0] for k in dk],
            "d_ac": [delta[k][1] for k in dk],
        },
        schema={**goe.select([*KEYS, "population"]).schema, "d_an": pl.Float64, "d_ac": pl.Float64},
    )
    j = g.join(plink, on=[*KEYS, "population"], how="full", coalesce=True)
    only_goe = j.filter(pl.col("an_plink").is_null())
    only_plink = j.filter(pl.col("an").is_null())
    if only_goe.height:
        problems.append(_show(only_goe.select([*KEYS, "population"]), "rows only in goe"))
    if only_plink.height:
        problems.append(_show(only_plink.select([*KEYS, "population"]), "rows only in plink2"))
    both = j.filter(pl.col("an").is_not_null() & pl.col("an_plink").is_not_null())
    both = both.join(d, on=[*KEYS, "population"], how="left").with_columns(
        pl.col("d_an").fill_null(0.0), pl.col("d_ac").fill_null(0.0)
    )
    both = both.with_columns(corrected=(pl.col("d_an") != 0) | (pl.col("d_ac") != 0))
    unused = d.join(both, on=[*KEYS, "population"], how="anti")
    if unused.height:
        problems.append(_show(unused, "corrections for rows not compared"))
    for goe_col, plink_col, d_col in (("ac", "ac_plink", "d_ac"), ("an", "an_plink", "d_an")):
        bad = both.filter(pl.col(goe_col) + pl.col(d_col) != pl.col(plink_col))
        if bad.height:
            shown = [*KEYS, "population", "ac", "d_ac", "ac_plink", "an", "d_an", "an_plink"]
            problems.append(_show(bad.select(shown), f"{goe_col} differences (goe + correction vs plink2)"))
    return problems, both


def _show(frame: pl.DataFrame, what: str, limit: int = 12) -> str:
    with pl.Config(tbl_rows=limit, tbl_cols=-1, tbl_width_chars=250):
        return f"{frame.height} {what}:\n{frame.head(limit)}"
