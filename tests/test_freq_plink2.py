"""goe freq's per-population AC and AN equal ``plink2 --freq counts`` run on each population.

goe runs with the genotype mask off (``FreqOptions(mask=False)``; min_allele_count 0, so no
row is withheld). plink2 imports the same VCF with the sheet's sexes in a ``.psam`` and
``--split-par hg38`` (GRCh38) or ``b37`` (GRCh37), so that males are haploid on non-PAR X as
in goe, then counts every goe population (Total, M, F, each country, each country_sex, written
down from the sheet, not taken from goe) with ``--keep``: tests/helpers/plink.py. For every
allele, multi-allelic records included (not ``*`` or symbolic ALTs, which goe does not count),
and every population, goe's ``ac`` must equal plink2's ALT_CTS and ``an`` its OBS_CT.

Inputs: 1000 Genomes phase 3 (GRCh37, 1,126 samples) on chrX, where males are written ``0/.``
outside the PARs, and chr22; the NYGC 2020 chr22 excerpt (GRCh38); two seeded simulated cohorts
(tests/helpers/simulate.py) with X across both PAR boundaries (haploid, ``0/.`` and ``./1``
male calls, male hets in one), Y, MT, multi-allelics and an unplaced contig.

Differences by definition (plink2's conventions; neither is a goe error), each call found in the
VCF independently of goe:

* A half call (``./b``) of a sample that is diploid there: goe counts its one allele (as bcftools
  +fill-tags does); plink2 has no half calls: ``--vcf-half-call h`` makes it ``b/b`` (``m`` would
  make it missing; no mode counts one allele). ``h`` is the mode that counts the ``0/.`` of males
  on non-PAR X as goe does (one allele), so it is used.
* A heterozygous call of a male on non-PAR X: goe sets it missing; plink2's --freq counts it as
  dosage 0.5 of each of its alleles.

The (allele, population) rows such a call falls in are left out of the equality: few (asserted;
none at all in the real data). They are not left unchecked: there plink2 must equal goe plus
exactly what those calls add (helpers.plink.call_deltas). Everything else must be equal as is.

Also by definition: plink2's --split-par puts all of X before PAR1's end into PAR1 and all after
PAR2's start into PAR2, where goe (and the assembly) keeps the stretches before PAR1 and after
PAR2 non-PAR. Those stretches are N in the reference, so only simulated records lie there;
plink2 counts them from a second import without --split-par (helpers.plink.plink_freq).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from conftest import KG
from helpers.compare import goe_frame
from helpers.inputs import sheet_from_1kg
from helpers.plink import CallDeltas, PlinkFreq, call_deltas, canonical, compare_counts, plink_freq
from helpers.recipe import PAR_X, read_sheet
from helpers.simulate import SimSpec, simulate

from goe.freq.run import FreqOptions, FreqResult, compute_frequencies

pytestmark = pytest.mark.tools

MAX_CORRECTED_SHARE = 0.15  # of the compared rows, in the simulations (~11% there)


@dataclass
class Checked:
    """One input compared: goe's run, plink2's counts, the known differences, the joined rows."""

    result: FreqResult
    plink: PlinkFreq
    deltas: CallDeltas
    rows: pl.DataFrame  # one per (allele, population) compared; ``corrected``: a known difference


def check_against_plink2(plink2: str, vcf: Path, sheet: Path, tmp: Path, *, assembly: str) -> Checked:
    """Run goe (unmasked) and plink2 per population; assert AC and AN equal (see the module)."""
    opts = FreqOptions(vcf=vcf, samples=sheet, out=tmp / "goe", assembly=assembly, mask=False, workers=1, force=True)
    result = compute_frequencies(opts)
    samples = read_sheet(sheet)
    plink = plink_freq(plink2, vcf, samples, assembly, tmp / "plink")
    pops = result.manifest["populations"]
    assert [p["label"] for p in pops] == list(plink.members), "goe's populations are not the sheet's"
    assert [p["samples"] for p in pops] == [len(ids) for ids in plink.members.values()]
    assert result.manifest["counts"].get("population_rows_withheld", 0) == 0
    goe = goe_frame(tmp / "goe")
    deltas = call_deltas(vcf, samples, assembly, plink.members)
    problems, rows = compare_counts(goe, plink.table, deltas.delta)
    assert not problems, "\n\n".join(problems)
    # compare_counts checked every row, the correction being 0 outside the known differences.
    # Spelled out: outside them, equal as is ...
    plain = rows.filter(~pl.col("corrected"))
    bad = plain.filter((pl.col("ac") != pl.col("ac_plink")) | (pl.col("an") != pl.col("an_plink")))
    assert bad.height == 0, f"{bad.height} rows differ:\n{bad.head(12)}"
    # ... and in them, plink2 = goe + exactly what the calls of the known differences add.
    fixed = rows.filter(pl.col("corrected"))
    bad = fixed.filter(
        (pl.col("ac") + pl.col("d_ac") != pl.col("ac_plink")) | (pl.col("an") + pl.col("d_an") != pl.col("an_plink"))
    )
    assert bad.height == 0, f"{bad.height} rows differ:\n{bad.head(12)}"
    assert rows.height == goe.height == plink.table.height
    assert result.manifest["counts"]["alleles_written"] * len(pops) == rows.height
    return Checked(result, plink, deltas, rows)


def multi_allelic_rows(rows: pl.DataFrame) -> int:
    """Compared rows of alleles whose record has more than one (counted) ALT."""
    per_record = pl.col("alt").n_unique().over("chrom", "pos", "ref")
    return rows.filter(per_record > 1).height


def haploid_x_rows(rows: pl.DataFrame, assembly: str) -> pl.DataFrame:
    """The males' rows on X outside the PARs."""
    (p1s, p1e), (p2s, p2e) = PAR_X[assembly]
    pos = pl.col("pos")
    in_par = pos.is_between(p1s, p1e) | pos.is_between(p2s, p2e)
    on_x = pl.col("chrom").str.replace("^(?i:chr)", "").str.to_uppercase() == "X"
    return rows.filter(on_x & ~in_par & (pl.col("population") == "M"))


# ---------------------------------------------------------------- real 1000 Genomes data


REAL_CASES = [
    pytest.param("phase3_1126_allchr", "GRCh37", "X,22", id="phase3-chrX-chr22"),
    pytest.param("nygc2020_chr22_grch38", "GRCh38", None, id="nygc-chr22"),
]


@pytest.mark.parametrize(("name", "assembly", "regions"), REAL_CASES)
def test_real_data_equals_plink2(
    plink2: str, bcftools: str, tmp_path: Path, name: str, assembly: str, regions: str | None
) -> None:
    vcf = KG / f"{name}.vcf.gz"
    if regions is not None:  # the whole file takes goe ~11 s; chrX and one autosome suffice here
        part = tmp_path / f"{name}.part.vcf.gz"
        subprocess.run([bcftools, "view", "--no-version", "-r", regions, "-Oz", "-o", str(part), str(vcf)], check=True)
        subprocess.run([bcftools, "index", "-t", str(part)], check=True)
        vcf = part
    sheet = sheet_from_1kg(KG / f"{name}.samples.tsv", tmp_path / "sheet.tsv")
    checked = check_against_plink2(plink2, vcf, sheet, tmp_path, assembly=assembly)
    rows = checked.rows
    # Real data: no known difference at all, every row equal as is.
    assert checked.deltas.half_calls_diploid == checked.deltas.het_haploid == 0
    assert checked.plink.n_x_end_records == 0
    assert rows.filter(pl.col("corrected")).height == 0
    assert rows.height >= 900
    assert multi_allelic_rows(rows) > 0
    assert rows["population"].n_unique() == len(checked.plink.members) >= 9
    if regions is not None:
        assert rows.height > 40_000
        males = haploid_x_rows(rows, assembly)
        n_males = len(checked.plink.members["M"])
        assert males.height > 1000
        assert males["an"].max() == n_males  # haploid: one allele per male, in both
        assert set(rows["chrom"].unique()) == {"X", "22"}


# ---------------------------------------------------------------- simulated cohorts


SIM_CASES = [
    pytest.param(SimSpec(seed=71, n_decoy_sites=5), id="38-chr-haploid-males"),
    pytest.param(
        SimSpec(
            seed=72,
            assembly="GRCh37",
            chrom_style="plain",
            male_x="half_missing",
            het_male_haploid=0.05,
            reversed_half_male=0.05,
        ),
        id="37-plain-halfmissing-het-and-dot-slash-one-males",
    ),
]


@pytest.mark.parametrize("spec", SIM_CASES)
def test_simulated_cohort_equals_plink2(plink2: str, bcftools: str, tmp_path: Path, spec: SimSpec) -> None:
    sim = simulate(tmp_path / "in", spec, bcftools)
    checked = check_against_plink2(plink2, sim.vcf, sim.sheet, tmp_path, assembly=spec.assembly)
    rows, deltas, counts = checked.rows, checked.deltas, checked.result.manifest["counts"]
    assert rows.height > 5000
    assert multi_allelic_rows(rows) > 500
    compared_on = {canonical(c) for c in rows["chrom"].unique().to_list()}
    assert compared_on == {"1", "2", "X", "Y", "MT"}  # not the unplaced contig, which goe drops
    assert checked.plink.n_x_end_records > 0  # the ends of X, from the second import
    # The known differences occur, exactly where the simulation put them, and are few.
    assert deltas.het_haploid == sim.het_male_haploid_calls == counts.get("het_in_haploid_set_missing", 0)
    assert deltas.half_calls_diploid > 0
    n_corrected = rows.filter(pl.col("corrected")).height
    assert 0 < n_corrected <= MAX_CORRECTED_SHARE * rows.height
    males = haploid_x_rows(rows, spec.assembly)
    assert males.height > 50
    assert males["an"].max() == len(checked.plink.members["M"])


def test_comparison_catches_differences(plink2: str, bcftools: str, tmp_path: Path) -> None:
    """The comparison is not vacuous: a changed AC or AN, a missing row, or a correction that is
    off by one call is reported."""
    spec = SimSpec(seed=73, n_samples=24, n_autosome_sites=30, n_x_sites=40, het_male_haploid=0.1)
    sim = simulate(tmp_path / "in", spec, bcftools)
    checked = check_against_plink2(plink2, sim.vcf, sim.sheet, tmp_path, assembly="GRCh38")
    goe = goe_frame(tmp_path / "goe")
    plink, delta = checked.plink.table, checked.deltas.delta
    assert delta
    assert compare_counts(goe, plink, delta)[0] == []
    assert compare_counts(goe, plink, {})[0] != []  # the known differences are real
    row = pl.int_range(pl.len()) == 7
    for column in ("ac", "an"):
        bumped = goe.with_columns(pl.when(row).then(pl.col(column) + 1).otherwise(pl.col(column)).alias(column))
        found = compare_counts(bumped, plink, delta)[0]
        assert len(found) == 1, (column, found)
        assert f"{column} differences" in found[0]
    assert any("rows only in plink2" in p for p in compare_counts(goe.slice(1), plink, delta)[0])
    assert any("rows only in goe" in p for p in compare_counts(goe, plink.slice(1), delta)[0])
    key = next(iter(delta))
    off = {**delta, key: [delta[key][0] + 1, delta[key][1]]}
    assert any("an differences" in p for p in compare_counts(goe, plink, off)[0])
