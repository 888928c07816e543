"""goe freq gives exactly the numbers of the GoE bcftools recipe: every allele, every group.

The reference is ``bcftools view -S | norm -m -any | +setGT (mask) | +fixploidy |
+fill-tags -S groups`` (tests/helpers/recipe.py), run on the same inputs: real 1000
Genomes excerpts (tests/data/1kg) and seeded simulated cohorts (tests/helpers/simulate.py).
AC, AN, AC_Hom, AC_Het, AC_Hemi and NS must be equal, AF within 1e-6 (the recipe's AF is
a float32), HWE within 1e-4 (or both > 0.999, or both below float32's normal range) at every
compared allele, multi-allelic ones included. Unmasked everything is compared; masked only
biallelic records, because goe judges allele balance of a multi-allelic het call on its two
called alleles while the split recipe judges each ALT against REF (a documented difference,
as are heterozygous and ``./1`` male calls on non-PAR X, tested at the end). The sites VCF
must carry the Parquet's numbers.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import polars as pl
import pytest
from conftest import KG
from helpers.compare import (
    apply_call_changes,
    compare,
    compare_sites_to_parquet,
    f_missing_problems,
    goe_frame,
    haploid_call_changes,
    recipe_frame,
    sites_frame,
)
from helpers.inputs import chrm_sheet, profile_without_allele_balance, sheet_from_1kg
from helpers.recipe import (
    RecipeResult,
    biallelic_keys,
    mask_expression,
    read_sheet,
    run_recipe,
    start_recipe,
)
from helpers.simulate import PAR_X, SimSpec, simulate
from typer.testing import CliRunner

from goe.cli.main import app
from goe.freq.run import FreqOptions, FreqResult, compute_frequencies
from goe.genome.assemblies import get_assembly
from goe.vcf.partition import DEFAULT_PARTITION_BYTES
from goe.vcf.plan import plan_input
from goe.vcf.reader import inspect_vcf

pytestmark = pytest.mark.tools

PART16M = DEFAULT_PARTITION_BYTES
PACKAGE_FILES = ("sites.vcf.gz", "sites.vcf.gz.tbi", "frequencies.parquet", "manifest.json")


def run_goe(
    vcf: Path, sheet: Path, out: Path, *, assembly: str, mask: bool, workers: int = 1, partition_bytes: int = PART16M
) -> FreqResult:
    opts = dict(assembly=assembly, mask=mask, workers=workers, partition_bytes=partition_bytes, force=True)
    return compute_frequencies(FreqOptions(vcf=vcf, samples=sheet, out=out, **opts))


def check_exact(
    bcftools: str, vcf: Path, sheet: Path, tmp: Path, *, assembly: str, mask: bool
) -> tuple[FreqResult, RecipeResult]:
    """Run goe and the recipe; assert equal numbers (all alleles unmasked, biallelic masked)."""
    pending = start_recipe(bcftools, vcf, read_sheet(sheet), assembly, mask, tmp / "recipe")
    try:  # goe runs while the recipe does
        result = run_goe(vcf, sheet, tmp / "goe", assembly=assembly, mask=mask)
    except BaseException:
        pending.proc.kill()
        pending.proc.wait()
        raise
    recipe = pending.wait()
    labels = [p["label"] for p in result.manifest["populations"]]
    assert labels == recipe.groups, "goe's populations are not the recipe's groups"
    assert not recipe.duplicates, f"duplicate alleles in the recipe output: {recipe.duplicates[:5]}"
    biallelic = biallelic_keys(bcftools, vcf)
    only = biallelic if mask and recipe.mask_expr else None
    goe = goe_frame(tmp / "goe")
    problems = compare(goe, recipe_frame(recipe), only=only)
    problems += compare_sites_to_parquet(sites_frame(tmp / "goe", labels), goe)
    problems += f_missing_problems(goe, result.manifest["populations"])
    assert not problems, "\n\n".join(problems)
    n_alleles = len(recipe.counts) if only is None else sum(k in biallelic for k in recipe.counts)
    assert n_alleles > 0
    assert result.manifest["counts"]["alleles_written"] == len(recipe.counts)
    return result, recipe


# ---------------------------------------------------------------- the recipe itself


def test_mask_expression_masks_per_sample(bcftools: str, tmp_path: Path) -> None:
    """The setGT expression masks exactly the failing calls of each sample (bcftools 1.16)."""
    vcf = tmp_path / "tiny.vcf"
    header = "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT"])
    calls = {  # sample: (field, masked?)
        "okhet": ("0/1:30:50:15,15", False),
        "lowgq": ("0/1:30:19:15,15", True),
        "lowdp": ("0/0:9:50:9,0", True),
        "skewlo": ("0/1:30:50:26,4", True),
        "skewhi": ("0/1:30:50:4,26", True),
        "edge02": ("0/1:25:50:20,5", False),
        "edge08": ("0/1:25:50:5,20", False),
        "missvals": ("0/1:.:.:.", False),
        "adzero": ("0/1:30:50:0,0", False),
        "homskew": ("1/1:30:50:26,4", False),
        "halfmiss": ("0/.:30:50:28,2", False),
        "phased": ("1|0:30:50:28,2", True),
        "gq20dp10": ("0/1:10:20:5,5", False),
    }
    vcf.write_text(
        "\n".join(
            [
                "##fileformat=VCFv4.2",
                "##contig=<ID=chr1,length=248956422>",
                '##FORMAT=<ID=GT,Number=1,Type=String,Description="GT">',
                '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="DP">',
                '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="GQ">',
                '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="AD">',
                "\t".join([header, *calls]),
                "\t".join(
                    ["chr1", "100", ".", "A", "G", "50", "PASS", ".", "GT:DP:GQ:AD", *(c[0] for c in calls.values())]
                ),
            ]
        )
        + "\n"
    )
    expr = mask_expression({"GT", "DP", "GQ", "AD"})
    assert expr is not None
    out = subprocess.run(
        [bcftools, "+setGT", str(vcf), "--", "-t", "q", "-n", ".", "-i", expr],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    gts = out.splitlines()[-1].split("\t")[9:]
    got = {name: gt.split(":")[0] for name, gt in zip(calls, gts, strict=True)}
    want = {name: "./." if masked else f.split(":")[0] for name, (f, masked) in calls.items()}
    assert got == want


# ---------------------------------------------------------------- real 1000 Genomes data


REAL_CASES = [
    pytest.param("phase3_1126_allchr", "GRCh37", False, marks=pytest.mark.slow, id="phase3-allchr"),
    pytest.param("hail_sample", "GRCh37", True, id="hail-masked"),
    pytest.param("hail_sample", "GRCh37", False, id="hail-unmasked"),
    pytest.param("hail_sample2", "GRCh37", True, id="hail2-masked"),
    pytest.param("hail_sample2", "GRCh37", False, id="hail2-unmasked"),
    pytest.param("nygc2020_chr22_grch38", "GRCh38", True, id="nygc-chr22-masked"),
    pytest.param("nygc2020_chr22_grch38", "GRCh38", False, id="nygc-chr22-unmasked"),
    pytest.param("1kg_2020_chrM", "GRCh38", True, id="chrM-masked"),
    pytest.param("eur300_chr20", "GRCh37", False, marks=pytest.mark.slow, id="eur300-chr20"),
]


@pytest.mark.parametrize(("name", "assembly", "mask"), REAL_CASES)
def test_real_data_equals_recipe(bcftools: str, tmp_path: Path, name: str, assembly: str, mask: bool) -> None:
    vcf = KG / f"{name}.vcf.gz"
    sheet = tmp_path / "sheet.tsv"
    if name == "1kg_2020_chrM":
        chrm_sheet(bcftools, sheet)
    else:
        sheet_from_1kg(KG / f"{name}.samples.tsv", sheet, id_is_column=name == "hail_sample")
    result, _ = check_exact(bcftools, vcf, sheet, tmp_path, assembly=assembly, mask=mask)
    if mask and name.startswith("hail"):
        assert result.manifest["counts"]["genotypes_masked"] > 0


# ---------------------------------------------------------------- simulated cohorts


SIM_CASES = [
    pytest.param(SimSpec(seed=11), True, id="38-chr-vcf-full-haploid-masked"),
    pytest.param(SimSpec(seed=12), False, id="38-chr-vcf-full-haploid-unmasked"),
    pytest.param(
        SimSpec(seed=13, output="bcf", male_x="half_missing", n_decoy_sites=12),
        False,
        id="38-chr-bcf-full-halfmissing-unmasked",
    ),
    pytest.param(
        SimSpec(seed=14, chrom_style="plain", male_x="half_missing", countries=("FI", "DE")),
        True,
        id="38-plain-vcf-full-halfmissing-masked",
    ),
    pytest.param(
        SimSpec(seed=15, assembly="GRCh37", chrom_style="plain", fields="GT", male_x="half_missing", n_decoy_sites=9),
        True,
        id="37-plain-vcf-gt-halfmissing",
    ),
    pytest.param(
        SimSpec(seed=16, assembly="GRCh37", chrom_style="plain", output="bcf"),
        True,
        id="37-plain-bcf-full-haploid-masked",
    ),
    pytest.param(
        SimSpec(seed=17, assembly="GRCh37", chrom_style="chr", n_samples=90, countries=("IT", "PL", "SE", "NL")),
        False,
        id="37-chr-vcf-full-haploid-unmasked",
    ),
    pytest.param(
        SimSpec(seed=18, assembly="GRCh37", chrom_style="chr", output="bcf", fields="GT"),
        False,
        id="37-chr-bcf-gt-haploid",
    ),
]


@pytest.mark.parametrize(("spec", "mask"), SIM_CASES)
def test_simulated_cohort_equals_recipe(bcftools: str, tmp_path: Path, spec: SimSpec, mask: bool) -> None:
    sim = simulate(tmp_path / "in", spec, bcftools)
    result, recipe = check_exact(bcftools, sim.vcf, sim.sheet, tmp_path, assembly=spec.assembly, mask=mask)
    counts = result.manifest["counts"]
    assert counts.get("records_dropped_non_primary_contig", 0) == sim.n_decoy_records
    assert recipe.non_primary_alleles >= sim.n_decoy_records
    # The simulation reaches what it is meant to reach.
    assert counts.get("het_in_haploid_set_missing", 0) == 0
    assert counts["haploid_in_diploid_doubled"] > 0
    assert counts["alleles_excluded_star"] > 0
    assert counts["alleles_excluded_symbolic"] > 0
    assert recipe.skipped_alts == counts["alleles_excluded_star"] + counts["alleles_excluded_symbolic"]
    if mask and spec.fields != "GT":
        assert counts["genotypes_masked_gq"] > 0
        assert counts["genotypes_masked_dp"] > 0
        assert counts["genotypes_masked_ab"] > 0
    hemi_on = {k[0] for k, per in recipe.counts.items() if per["Total"]["ac_hemi"] > 0}
    assert {sim.contigs[c] for c in ("X", "Y", "MT")} <= hemi_on


@pytest.mark.parametrize("source", ["simulated", "hail_sample2"])
def test_gq_dp_mask_equals_recipe_at_every_record(bcftools: str, tmp_path: Path, source: str) -> None:
    """Without the allele-balance part, the mask is per call, not per allele: goe equals the
    recipe at multi-allelic records too."""
    if source == "simulated":
        sim = simulate(tmp_path / "in", SimSpec(seed=61, chrom_style="plain"), bcftools)
        vcf, sheet, assembly = sim.vcf, sim.sheet, "GRCh38"
    else:
        vcf, assembly = KG / "hail_sample2.vcf.gz", "GRCh37"
        sheet = sheet_from_1kg(KG / "hail_sample2.samples.tsv", tmp_path / "sheet.tsv")
    profile = profile_without_allele_balance(tmp_path / "gq-dp.toml")
    result = compute_frequencies(
        FreqOptions(vcf=vcf, samples=sheet, out=tmp_path / "goe", assembly=assembly, guidelines=str(profile), workers=1)
    )
    counts = result.manifest["counts"]
    assert counts["genotypes_masked"] > 0
    assert counts.get("genotypes_masked_ab", 0) == 0
    recipe = run_recipe(bcftools, vcf, read_sheet(sheet), assembly, True, tmp_path / "rec", mask_checks=("GQ", "DP"))
    assert recipe.mask_expr == "FMT/GQ<20 | FMT/DP<10"
    assert len(biallelic_keys(bcftools, vcf)) < len(recipe.counts)  # multi-allelics compared
    problems = compare(goe_frame(tmp_path / "goe"), recipe_frame(recipe))
    assert not problems, "\n\n".join(problems)


def test_compare_catches_every_kind_of_difference(bcftools: str, tmp_path: Path) -> None:
    """The comparison is not vacuous: one changed cell or one missing row is reported."""
    sim = simulate(tmp_path / "in", SimSpec(seed=21, n_samples=24, n_autosome_sites=30, n_x_sites=30), bcftools)
    run_goe(sim.vcf, sim.sheet, tmp_path / "goe", assembly="GRCh38", mask=False)
    goe = goe_frame(tmp_path / "goe")
    recipe = recipe_frame(run_recipe(bcftools, sim.vcf, read_sheet(sim.sheet), "GRCh38", False, tmp_path / "recipe"))
    assert compare(goe, recipe) == []
    row = pl.int_range(pl.len()) == 7
    for column, changed in (
        ("ac", pl.col("ac") + 1),
        ("an", pl.col("an") + 1),
        ("ac_hom", pl.col("ac_hom") + 2),
        ("ac_het", pl.col("ac_het") + 1),
        ("ac_hemi", pl.col("ac_hemi") + 1),
        ("ns", pl.col("ns") + 1),
        ("af", pl.col("af") + 1e-5),
        ("hwe", pl.col("hwe") * 0.99),
    ):
        bumped = goe.with_columns(pl.when(row).then(changed).otherwise(pl.col(column)).alias(column))
        found = compare(bumped, recipe)
        assert len(found) == 1, (column, found)
        assert f"{column} differences" in found[0], (column, found)
    assert any("only in the recipe" in p for p in compare(goe.slice(1), recipe))
    assert any("only in goe" in p for p in compare(goe, recipe.slice(1)))


# ---------------------------------------------------------------- properties of the package


def count_regions(vcf: Path, assembly: str, partition_bytes: int) -> int:
    """How many regions goe's plan cuts ``vcf`` into."""
    return len(plan_input(inspect_vcf(vcf), get_assembly(assembly), partition_bytes).regions)


def sha256s(folder: Path) -> dict[str, str]:
    return {f: hashlib.sha256((folder / f).read_bytes()).hexdigest() for f in PACKAGE_FILES}


@pytest.mark.slow
def test_package_identical_for_any_workers_and_partitions(
    bcftools: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """sites.vcf.gz, .tbi, Parquet and manifest are the same bytes for --workers 1/2/3 and
    for partition sizes that cut the input into 1 or many regions; and they equal the recipe."""
    spec = SimSpec(seed=31, n_samples=40, n_autosome_sites=1500, autosome_span=8_000_000)
    sim = simulate(tmp_path / "in", spec, bcftools)
    n_regions = {size: count_regions(sim.vcf, "GRCh38", size) for size in (64 << 10, 256 << 10, 16 << 20)}
    assert n_regions[16 << 20] == 5  # one region per contig
    assert n_regions[64 << 10] > n_regions[256 << 10] > 5, n_regions
    runs = [("1", "16M"), ("2", "64K"), ("3", "64K"), ("1", "64K"), ("3", "256K")]
    digests = []
    for i, (workers, size) in enumerate(runs):
        run_dir = tmp_path / f"run{i}"
        run_dir.mkdir()
        monkeypatch.chdir(run_dir)  # the same relative --out, so the recorded command is the same
        args = ["freq", str(sim.vcf), "--samples", str(sim.sheet), "--out", "pkg", "--quiet"]
        res = CliRunner().invoke(app, [*args, "--workers", workers, "--partition-size", size])
        assert res.exit_code == 0, res.output
        digests.append(sha256s(run_dir / "pkg"))
    assert all(d == digests[0] for d in digests[1:]), digests
    manifest = json.loads((tmp_path / "run1" / "pkg" / "manifest.json").read_text())
    assert manifest["counts"]["records_read"] == sim.n_records
    # The partitioned package also equals the recipe (no record lost or doubled at a cut).
    recipe = run_recipe(bcftools, sim.vcf, read_sheet(sim.sheet), "GRCh38", True, tmp_path / "rec")
    problems = compare(
        goe_frame(tmp_path / "run1" / "pkg"), recipe_frame(recipe), only=biallelic_keys(bcftools, sim.vcf)
    )
    assert not problems, "\n\n".join(problems)


def test_vcf_and_bcf_give_the_same_numbers(bcftools: str, tmp_path: Path) -> None:
    """The same cohort as VCF.gz (tabix, one region per contig) and as BCF (CSI, cut into many
    regions, two workers): identical Parquet content and identical sites records."""
    frames, bodies = [], []
    for output, size, workers in (("vcf.gz", DEFAULT_PARTITION_BYTES, 1), ("bcf", 64 << 10, 2)):
        spec = SimSpec(
            seed=41, output=output, male_x="half_missing", n_samples=40, n_autosome_sites=1000, autosome_span=6_000_000
        )
        sim = simulate(tmp_path / output, spec, bcftools)
        n_regions = count_regions(sim.vcf, "GRCh38", size)
        assert n_regions == 5 if output == "vcf.gz" else n_regions > 5
        out = tmp_path / f"goe-{output}"
        run_goe(sim.vcf, sim.sheet, out, assembly="GRCh38", mask=True, workers=workers, partition_bytes=size)
        frames.append(goe_frame(out))
        bodies.append(
            subprocess.run(
                [bcftools, "view", "-H", str(out / "sites.vcf.gz")], check=True, capture_output=True, text=True
            ).stdout.splitlines()
        )
    assert frames[0].height > 0
    assert frames[0].equals(frames[1])
    assert bodies[0] == bodies[1]


GRID = 1 << 20


def test_package_identical_with_records_on_grid_edges(bcftools: str, tmp_path: Path) -> None:
    """Byte identity also when records sit exactly on the 1 Mbp grid (POS = k x 2^20 +- 1)."""
    pinned = tuple(p for k in range(2, 8) for p in (k * GRID - 1, k * GRID, k * GRID + 1))
    spec = SimSpec(seed=31, n_samples=40, n_autosome_sites=1500, autosome_span=8_000_000, pinned_positions=pinned)
    sim = simulate(tmp_path / "in", spec, bcftools)
    digests = []
    for size in (DEFAULT_PARTITION_BYTES, 64 << 10):
        out = tmp_path / f"goe-{size}"
        run_goe(sim.vcf, sim.sheet, out, assembly="GRCh38", mask=True, partition_bytes=size)
        digests.append({f: hashlib.sha256((out / f).read_bytes()).hexdigest() for f in PACKAGE_FILES[:3]})
    assert digests[0]["frequencies.parquet"] == digests[1]["frequencies.parquet"]
    assert digests[0] == digests[1]


# ---------------------------------------------------------------- documented differences


@pytest.mark.parametrize(
    ("het", "reversed_half"), [(0.15, 0.0), (0.0, 0.15), (0.1, 0.1)], ids=["het-male-x", "dot-slash-one-male-x", "both"]
)
def test_male_haploid_x_documented_differences(bcftools: str, tmp_path: Path, het: float, reversed_half: float) -> None:
    """A male het call on non-PAR X is missing in goe (counted as het_in_haploid_set_missing)
    while +fixploidy keeps its first allele; a male ``./1`` there is a haploid ``1`` in goe
    while +fixploidy keeps the missing first allele. Counted those calls the recipe's way,
    goe's numbers equal the recipe's everywhere else, exactly."""
    spec = SimSpec(seed=51, het_male_haploid=het, reversed_half_male=reversed_half)
    sim = simulate(tmp_path / "in", spec, bcftools)
    assert (sim.het_male_haploid_calls > 0) == (het > 0)
    assert (sim.reversed_half_male_calls > 0) == (reversed_half > 0)
    result = run_goe(sim.vcf, sim.sheet, tmp_path / "goe", assembly="GRCh38", mask=False)
    assert result.manifest["counts"].get("het_in_haploid_set_missing", 0) == sim.het_male_haploid_calls
    samples = read_sheet(sim.sheet)
    recipe = recipe_frame(run_recipe(bcftools, sim.vcf, samples, "GRCh38", False, tmp_path / "rec"))
    goe = goe_frame(tmp_path / "goe")
    assert compare(goe, recipe) != []  # the difference is real
    changes = haploid_call_changes(sim.vcf, {s.vcf_id for s in samples if s.sex == "M"}, PAR_X["GRCh38"])
    assert sum(c[2] is None for c in changes) == sim.het_male_haploid_calls
    assert sum(c[3] is None for c in changes) == sim.reversed_half_male_calls
    groups_of = {s.vcf_id: ["Total", s.sex, s.country, f"{s.country}_{s.sex}"] for s in samples}
    problems = compare(apply_call_changes(goe, changes, groups_of), recipe)
    assert not problems, "\n\n".join(problems)
