"""`goe merge` of national packages gives the numbers of the pooled cohort, exactly.

A seeded 3-country cohort is cut into national VCFs (``bcftools view -s -a -c1``), each gets
``goe freq`` (masked or not, with or without a callable BED; ES's misses part of chr1), the
packages are merged and compared with the pooled cohort through the bcftools recipe
(tests/helpers/national.py says what must come out). Then: the same bytes for any input order,
worker count or region cut; fill-tags sites VCFs as inputs; harmonisation errors; faf95, grpmax
and heterogeneity against scipy; the small-count floor after merging; provenance.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from fractions import Fraction
from pathlib import Path

import polars as pl
import pysam
import pytest
from helpers.national import (
    Country,
    World,
    build_odd_inputs,
    build_world,
    canonical,
    cli,
    expected_merge,
    fill_tags_vcf,
    fine_plan,
    freq,
    parquet_problems,
    plant_artefact,
    read_sites,
    tiny_vcf,
)
from helpers.simulate import SimSpec
from scipy.stats import chi2_contingency

import goe
import goe.merge.run as merge_run

pytestmark = pytest.mark.tools

SPEC = SimSpec(n_samples=150, countries=("FI", "DE", "ES"), seed=11)
CODES = ("DE", "ES", "FI")
LABELS = ["Total", "M", "F", *(f"{c}{s}" for c in CODES for s in ("", "_M", "_F"))]
GAP = ("chr1", 1_000_000, 2_500_000)  # ES's callable BED misses chr1:1,000,001-2,500,000
FILES = ("sites.vcf.gz", "sites.vcf.gz.tbi", "frequencies.parquet", "manifest.json")
GRPMAX_MIN_AN = "90"  # autosomal AN is 100 per country: countries with missing calls drop out
FLOOR = "5"
AF_REL = 6e-6  # AF printed with >= 6 significant digits (5e-6), the recipe's is a float32


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, bcftools: str) -> World:
    return build_world(tmp_path_factory.mktemp("merge_exact"), bcftools, SPEC, GAP, "ES")


def sfx(label: str) -> str:
    return "" if label == "Total" else f"_{label}"


def country(world: World, code: str) -> Country:
    return next(c for c in world.countries if c.code == code)


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


# ---------------------------------------------------------------- 1. the pooled cohort, exactly


@pytest.mark.parametrize(("mask", "bed"), [(False, True), (False, False), (True, True), (True, False)],
                         ids=["unmasked-bed", "unmasked-nobed", "masked-bed", "masked-nobed"])
def test_merge_equals_pooled_cohort(world: World, mask: bool, bed: bool) -> None:
    out = world.merged(mask, bed)
    sites = read_sites(out / "sites.vcf.gz")
    recipe = world.recipes[mask]
    expected = expected_merge(recipe, world.countries, world.beds if bed else None)
    assert set(sites) == set(expected), "the merge does not hold exactly the alleles some country reported"
    national = {c: read_sites(p / "sites.vcf.gz") for c, p in world.packages[(mask, bed)].items()}
    problems: list[str] = []
    compared = [k for k in expected if not mask or k in world.biallelic]
    for key in compared:
        exp, site, pooled = expected[key], sites[key], recipe[key]
        for lab in LABELS:
            got, want = site.row(lab), exp.rows[lab]
            if got != want:
                problems.append(f"{key} {lab}: (AC, AN, Hom, Het, Hemi) {got}, expected {want}")
                continue
            ac, an = want[0], want[1]
            if ac != pooled[lab]["ac"]:
                problems.append(f"{key} {lab}: AC {ac}, pooled {pooled[lab]['ac']}")
            af = site.info.get(f"AF{sfx(lab)}")
            if an == 0:
                if af is not None:
                    problems.append(f"{key} {lab}: AF {af} with AN 0")
            elif af is None or round(af * an) != ac or abs(af - ac / an) > AF_REL * ac / an:
                problems.append(f"{key} {lab}: AF {af} is not AC/AN = {ac}/{an}")
            if exp.reported_by_all and (an != pooled[lab]["an"] or (an and abs(af - pooled[lab]["af"]) > AF_REL * af)):
                problems.append(f"{key} {lab}: reported by all, AN/AF {an}/{af}, pooled {pooled[lab]}")
        na = site.info.get("goe_not_assessed")
        if (na.split(",") if na else []) != exp.not_assessed:
            problems.append(f"{key}: goe_not_assessed={na}, expected {exp.not_assessed}")
        fl = sorted({f for n in national.values() if key in n for f in n[key].filter.split(";")} - {"PASS", "AC0"})
        fl += ["AC0"] * (exp.rows["Total"][0] == 0)
        if site.filter != (";".join(fl) or "PASS"):
            problems.append(f"{key}: FILTER {site.filter}, expected {';'.join(fl) or 'PASS'}")
    assert not problems, f"{len(problems)} differences:\n" + "\n".join(problems[:25])
    assert len(compared) > 200
    counts = manifest(out)["counts"]
    assert counts["alleles_written"] == len(expected)
    assert counts["alleles_reported_by_every_country"] == sum(e.reported_by_all for e in expected.values()) > 20
    assert counts["alleles_with_an_from_callable_regions"] == sum(e.imputed for e in expected.values()) > 20
    gap = [e for e in expected.values() if e.not_assessed]
    assert counts["alleles_not_assessed_somewhere"] == len(gap)
    if bed:  # the stretch ES did not call: ES adds nothing there, and the alleles say so
        assert len(gap) > 5
        assert all(e.not_assessed == ["ES"] and e.rows["ES"][1] == 0 for e in gap)
        assert "FewCountries" not in {f for s in sites.values() for f in s.filter.split(";")}
    else:
        assert not gap
    assert parquet_problems(out, sites, LABELS) == []
    check = cli(["check", out])
    assert check.exit_code == 0, check.stdout


# ---------------------------------------------------------------- 2. order and workers


@pytest.mark.slow  # ~4 s idle, over 10 s on a busy 2-core machine (-j 2 spawns workers)
def test_output_bytes_independent_of_input_order_and_workers(world: World, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Every order of the inputs, -j 1 and -j 2, and regions cut on the 1 Mbp grid cells where the
    simulated sites lie (edges, part joins, the PAD re-read): the same bytes."""
    pk = world.packages[(False, True)]
    runs = [(perm, "1") for perm in itertools.permutations(CODES)] + [(CODES, "2"), (CODES[::-1], "2")]
    runs.append((CODES, "fine-regions"))
    digests = []
    for i, (perm, jobs) in enumerate(runs):
        out = tmp_path / f"run{i}" / "europe"
        if jobs == "fine-regions":
            monkeypatch.setattr(merge_run, "_plan", fine_plan(merge_run._plan))
        r = cli(["merge", *(pk[c] for c in perm), "--out", out, "-q", "-j", "2" if jobs == "2" else "1"])
        assert r.exit_code == 0, r.stderr
        assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
        digests.append({f: hashlib.sha256((out / f).read_bytes()).hexdigest() for f in FILES})
    for perm_digests, (perm, jobs) in zip(digests[1:], runs[1:], strict=True):
        assert perm_digests == digests[0], f"order {perm} with -j {jobs} differs"


# ---------------------------------------------------------------- 3. sites VCFs made by other tools


def test_fill_tags_vcf_merges_like_its_goe_package(world: World, tmp_path: Path) -> None:
    """bcftools +fill-tags -S groups names zygosity fields AC_Hom_ES_M: goe check warns, goe merge reads them."""
    es = country(world, "ES")
    plain = fill_tags_vcf(world.bcftools, world.cohort, es, tmp_path / "ES.filltags.vcf.gz", by_group=True)
    check = cli(["check", plain])
    assert check.exit_code == 0, check.stdout
    assert "warning: ES.filltags.vcf.gz line" in check.stdout
    assert "INFO AC_Hom_ES_M: the GDI node reads it, but the Python mini-node ignores it" in check.stdout
    pk = world.packages[(False, False)]
    out = tmp_path / "europe"
    r = cli(["merge", pk["FI"], plain, pk["DE"], "--out", out, "-q", "-j", "1"])
    assert r.exit_code == 0, r.stderr
    assert "no sample counts for ES; estimated from the largest AN (25 male, 25 female)" in r.stderr
    got, want = read_sites(out / "sites.vcf.gz"), read_sites(world.merged(False, False) / "sites.vcf.gz")
    assert set(got) == set(want)
    bad = [(k, lab, got[k].row(lab), want[k].row(lab)) for k in want for lab in LABELS
           if got[k].row(lab) != want[k].row(lab)]
    assert not bad, f"{len(bad)} differences from the all-goe merge, e.g. {bad[:5]}"
    own = read_sites(pk["ES"] / "sites.vcf.gz")  # ES's own goe package, where ES reported the allele
    assert set(own) == es.reported
    assert all(got[k].row(lab) == own[k].row(lab) for k in own for lab in ("ES", "ES_M", "ES_F"))
    m = manifest(out)
    assert m["samples_estimated"] == ["ES"]
    entry = next(i for i in m["inputs"] if i["countries"] == ["ES"])
    assert entry["kind"] == "vcf"
    assert entry["samples"] == {"ES": {"male": 25, "female": 25}}
    assert entry["sites_sha256"] == hashlib.sha256(plain.read_bytes()).hexdigest()


def test_plain_total_only_vcf_named_on_the_command_line(world: World, tmp_path: Path) -> None:
    """AC/AN/AF for all samples only, given as FILE=ES: ES's numbers where it reported the allele."""
    es = country(world, "ES")
    plain = fill_tags_vcf(world.bcftools, world.cohort, es, tmp_path / "ES.total.vcf.gz", by_group=False)
    pk = world.packages[(False, False)]
    out = tmp_path / "europe"
    r = cli(["merge", pk["DE"], pk["FI"], f"{plain}=ES", "--out", out, "-q", "-j", "1"])
    assert r.exit_code == 0, r.stderr
    got, want = read_sites(out / "sites.vcf.gz"), read_sites(world.merged(False, False) / "sites.vcf.gz")
    assert set(got) == set(want)
    m = manifest(out)
    assert [p["label"] for p in m["populations"]] == ["Total", "DE", "DE_M", "DE_F", "ES", "FI", "FI_M", "FI_F"]
    assert m["samples_estimated"] == ["ES"]
    # no sex fields: everyone counted as diploid (female) from the largest AN, 2 x 50
    assert next(i for i in m["inputs"] if i["countries"] == ["ES"])["samples"] == {"ES": {"male": 0, "female": 50}}
    own = read_sites(pk["ES"] / "sites.vcf.gz")  # ES's goe package: where ES reported the allele
    assert [k for k in own if got[k].row("ES")[:2] != own[k].row("ES")[:2]] == []
    assert [k for k in want if got[k].row("Total")[0] != want[k].row("Total")[0]] == []
    unreported = [k for k in want if k[0] in ("chr1", "chr2") and k not in own]
    assert len(unreported) > 10
    assert all(got[k].row("ES")[:2] == (0, 100) for k in unreported)


def test_every_filter_written_is_declared(tmp_path: Path) -> None:
    """Two plain sites VCFs (no ##FILTER=<ID=AC0>) and an allele no country carries: FILTER AC0, undeclared."""
    for cc in ("DE", "FI"):
        tiny_vcf(tmp_path / f"{cc}.vcf.gz", cc, [f"chr1\t1000\t.\tA\tG\t.\tPASS\tAC_{cc}=0;AN_{cc}=100;AF_{cc}=0",
                                                 f"chr1\t2000\t.\tC\tT\t.\tPASS\tAC_{cc}=3;AN_{cc}=100;AF_{cc}=0.03"])
    out = tmp_path / "europe"
    r = cli(["merge", tmp_path / "DE.vcf.gz", tmp_path / "FI.vcf.gz", "--out", out, "-q", "-j", "1"])
    assert r.exit_code == 0, r.stderr
    assert read_sites(out / "sites.vcf.gz")[("chr1", 1000, "A", "G")].filter == "AC0"
    with pysam.VariantFile(str(out / "sites.vcf.gz")) as vcf:
        assert "AC0" in vcf.header.filters


# ---------------------------------------------------------------- 4. harmonisation errors


@pytest.fixture(scope="module")
def odd_inputs(world: World, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_odd_inputs(world, tmp_path_factory.mktemp("odd"))


def _error_cases(world: World, odd: dict[str, Path]) -> dict[str, tuple[list[str | Path], list[str]]]:
    u, m = world.packages[(False, False)], world.packages[(True, True)]
    fi, pt37, tot, bad = u["FI"], odd["pt37"], odd["total"], odd["bad"]
    return {
        "assemblies": ([fi, pt37], [f"error: the inputs use different assemblies ({fi} is GRCh38, {pt37} is GRCh37); "
                                    "lift them over to one assembly before merging"]),
        "country-twice": ([fi, u["DE"], m["FI"]], [f"error: country FI appears twice: in {fi} and in {m['FI']}; "
                                                   "give each country's package once"]),
        "sha256": ([u["DE"], odd["tampered"]], [f"error: {odd['tampered']}: frequencies.parquet does not match the "
                                                "sha256 in manifest.json (changed or corrupted after packaging); "
                                                "re-create or re-download the package"]),
        "profiles": ([u["DE"], odd["other"]], ["error: the inputs were made with different guideline profiles "
                                               "(1mg-proof-draft 0.1.0, other-profile 0.1.0); re-run goe freq with "
                                               "one profile, or accept it with --allow-mixed-guidelines"]),
        "no-country": ([fi, tot], [f"error: {tot}: its INFO fields carry no country (only AC/AN/AF for all "
                                   f"samples); name the country on the command line: {tot}=CC"]),
        "fails-check": ([fi, bad], [
            "warning: PT.vcf.gz: no sample counts for PT; estimated from the largest AN (0 male, 50 female), used "
            "for alleles it does not report",
            f"error: {bad} fails the GDI checks: PT.vcf.gz line 9, chr1:2000 C>T: AF_PT=0.3 and AN_PT=100 give "
            "round(AF x AN) = 30, but AC_PT = 26: GDI rejects it (it allows 1 allele); print AF with more digits or "
            f"recompute it as AC/AN; see every problem with: goe check {bad}"]),
    }


@pytest.mark.parametrize("case", ["assemblies", "country-twice", "sha256", "profiles", "no-country", "fails-check"])
def test_harmonisation_errors(world: World, odd_inputs: dict[str, Path], tmp_path: Path, case: str) -> None:
    args, lines = _error_cases(world, odd_inputs)[case]
    out = tmp_path / "europe"
    r = cli(["merge", *args, "--out", out, "-q", "-j", "1"])
    assert r.exit_code == 1, r.stderr
    assert r.stderr.splitlines() == lines
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == []


def test_mixed_profiles_allowed_with_a_warning(world: World, odd_inputs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "europe"
    de = world.packages[(False, False)]["DE"]
    r = cli(["merge", de, odd_inputs["other"], "--out", out, "-q", "-j", "1", "--allow-mixed-guidelines"])
    assert r.exit_code == 0, r.stderr
    warned = [ln for ln in r.stderr.splitlines() if "guideline profiles" in ln]
    assert warned == ["warning: the inputs were made with different guideline profiles (1mg-proof-draft 0.1.0, "
                      "other-profile 0.1.0)"]
    others = [ln for ln in r.stderr.splitlines() if ln not in warned]
    assert all(ln.startswith("warning: no --reference:") for ln in others), others
    m = manifest(out)
    assert m["parameters"]["allow_mixed_guidelines"] is True
    assert [i["guidelines"]["name"] for i in m["inputs"]] == ["1mg-proof-draft", "other-profile"]


# ---------------------------------------------------------------- 5. faf95, grpmax, heterogeneity


def test_reference_statistics(world: World) -> None:
    out = world.merged(False, True, "--grpmax-min-an", GRPMAX_MIN_AN)
    sites = read_sites(out / "sites.vcf.gz")
    problems, n_grpmax, n_het = [], 0, 0
    for key, s in sites.items():
        for lab in ("Total", *CODES):
            ac, an = s.row(lab)[:2]
            faf = s.info.get(f"faf95{sfx(lab)}")
            if an == 0:
                ok = faf is None
            elif ac <= 1:
                ok = faf == 0
            else:
                ok = faf is not None and 0 < faf < ac / an
            if not ok:
                problems.append(f"{key} {lab}: faf95 {faf} for AC {ac} AN {an}")
        assert not any(f"faf95_{lab}" in s.info for lab in ("M", "F", "DE_M", "ES_F")), key
        rows = {c: s.row(c)[:2] for c in CODES}
        best = None
        for c in CODES:  # sorted codes: ties go to the first
            ac, an = rows[c]
            if an >= int(GRPMAX_MIN_AN) and ac > 0 and (best is None or Fraction(ac, an) > Fraction(*rows[best])):
                best = c
        if s.info.get("grpmax") != best:
            problems.append(f"{key}: grpmax {s.info.get('grpmax')}, expected {best} from {rows}")
        elif best is not None:
            n_grpmax += 1
            ac, an = rows[best]
            if (s.info["grpmax_ac"], s.info["grpmax_an"]) != (ac, an) or abs(s.info["grpmax_af"] - ac / an) > 1e-6:
                problems.append(f"{key}: grpmax_ac/an/af do not match {best} {rows[best]}")
        table = [[ac, an - ac] for ac, an in rows.values() if an > 0]
        pooled = sum(t[0] for t in table)
        p = s.info.get("goe_het_p")
        if len(table) < 2 or pooled == 0 or pooled == sum(sum(t) for t in table):
            if p is not None:
                problems.append(f"{key}: goe_het_p {p} on an undefined table {table}")
            continue
        want = chi2_contingency(list(zip(*table, strict=True)), correction=False).pvalue
        n_het += 1
        if p is None or abs(p - want) > 1e-5 * want:
            problems.append(f"{key}: goe_het_p {p}, scipy {want}")
        if ("goe_af_heterogeneity" in s.info) != (want < 1e-10):
            problems.append(f"{key}: goe_af_heterogeneity flag wrong for p {want}")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:25])
    assert n_grpmax > 100
    assert n_het > 100
    assert manifest(out)["counts"].get("alleles_af_heterogeneous", 0) == 0  # one population, no artefact


def test_batch_artefact_is_flagged(world: World, tmp_path: Path) -> None:
    de = country(world, "DE")
    vcf = tmp_path / "DE_artefact.vcf.gz"
    planted = plant_artefact(world.bcftools, de, vcf, "chr2", 25)
    pk = freq(world.cohort, de, vcf, tmp_path / "DE", mask=False, bed=None)
    u = world.packages[(False, False)]
    out = tmp_path / "europe"
    r = cli(["merge", u["ES"], pk, u["FI"], "--out", out, "-q", "-j", "1"])
    assert r.exit_code == 0, r.stderr
    sites = read_sites(out / "sites.vcf.gz")
    flagged = {k for k, s in sites.items() if "goe_af_heterogeneity" in s.info}
    assert flagged <= set(planted), f"flagged outside the planted block: {sorted(flagged - set(planted))[:5]}"
    rare = [k for k in planted if sum(sites[k].row(c)[0] for c in ("ES", "FI")) <= 0.3 * 200]
    assert len(rare) > 5
    assert set(rare) <= flagged
    assert manifest(out)["counts"]["alleles_af_heterogeneous"] == len(flagged)
    for k in flagged:
        assert sites[k].row("DE")[0] == sites[k].row("DE")[1] > 0
        assert sites[k].info["goe_het_p"] < 1e-10


# ---------------------------------------------------------------- 6. the small-count floor after merging


def test_floor_after_merging(world: World, tmp_path: Path) -> None:
    full = read_sites(world.merged(False, True) / "sites.vcf.gz")
    out = world.merged(False, True, "--min-allele-count", FLOOR)
    floored = read_sites(out / "sites.vcf.gz")
    n = int(FLOOR)
    withheld = set()
    for key, s in full.items():
        rows = [s.row(lab) for lab in LABELS[1:]]
        if any(0 < ac < n or 0 < an - ac < n for ac, an, *_ in rows):
            withheld.add(key)
    assert 20 < len(withheld) < len(full)
    total_only = {"AC", "AN", "AF", "AC_Hom", "AC_Het", "AC_Hemi", "faf95", "goe_not_assessed"}
    for key, s in floored.items():
        assert s.filter == full[key].filter
        if key in withheld:
            assert set(s.info) <= total_only, f"{key}: {sorted(set(s.info) - total_only)} published"
            assert s.row("Total") == full[key].row("Total")
            assert s.info.get("faf95") == full[key].info.get("faf95")
        else:
            assert s.info == full[key].info, key
    frame = pl.read_parquet(out / "frequencies.parquet")
    pops = frame.group_by("chrom", "pos", "ref", "alt").agg(pl.col("population").sort())
    for r in pops.iter_rows(named=True):
        key = canonical(r["chrom"], r["pos"], r["ref"], r["alt"])
        assert r["population"] == (["Total"] if key in withheld else sorted(LABELS)), key
    counts = manifest(out)["counts"]
    assert counts["alleles_with_withheld_rows"] == len(withheld)
    assert counts["population_rows_withheld"] == len(withheld) * (len(LABELS) - 1)
    # the same rule as goe freq on the pooled cohort, where the merge has the pooled numbers
    pooled = tmp_path / "pooled"
    r = cli(["freq", world.cohort.vcf, "--samples", world.cohort.sheet, "--no-mask", "--min-allele-count", FLOOR,
             "--out", pooled, "-q", "-j", "1"])
    assert r.exit_code == 0, r.stderr
    by_all = {k for k in full if all(k in c.reported for c in world.countries)}
    pooled_sites = read_sites(pooled / "sites.vcf.gz")
    pooled_withheld = {k for k in by_all if "AC_M" not in pooled_sites[k].info}
    assert pooled_withheld == withheld & by_all


def test_input_floor_country_contributes_nothing(world: World, tmp_path: Path) -> None:
    """FI's package withheld small rows (goe freq --min-allele-count): those alleles count DE and ES only."""
    fi = country(world, "FI")
    floored = freq(world.cohort, fi, fi.vcf, tmp_path / "FI", mask=False, bed=world.bed_files["FI"],
                   extra=["--min-allele-count", FLOOR])
    hidden = {k for k, s in read_sites(floored / "sites.vcf.gz").items() if "AC_FI" not in s.info}
    pk, out = world.packages[(False, True)], tmp_path / "europe"
    r = cli(["merge", pk["DE"], floored, pk["ES"], "--out", out, "-q", "-j", "1"])
    assert r.exit_code == 0, r.stderr
    got, full = read_sites(out / "sites.vcf.gz"), read_sites(world.merged(False, True) / "sites.vcf.gz")
    assert len(hidden) > 20
    assert set(got) == set(full)
    for k, s in got.items():
        if k not in hidden:
            assert s.info == full[k].info, k
            continue
        assert s.info["goe_withheld_in_input"] == "FI"
        assert [s.row(f"FI{x}")[:2] for x in ("", "_M", "_F")] == [(0, 0)] * 3
        for lab in ("Total", "M", "F"):
            others = [full[k].row(c + sfx(lab))[:2] for c in ("DE", "ES")]
            assert s.row(lab)[:2] == tuple(map(sum, zip(*others, strict=True))), (k, lab)
        assert s.info.get("grpmax") != "FI"


def test_few_countries_filter(world: World) -> None:
    """--min-assessed-fraction 1: FewCountries exactly where ES was not callable and did not report."""
    sites = read_sites(world.merged(False, True, "--min-assessed-fraction", "1") / "sites.vcf.gz")
    few = {k for k, s in sites.items() if "FewCountries" in s.filter.split(";")}
    expected = expected_merge(world.recipes[False], world.countries, world.beds)
    assert few == {k for k, e in expected.items() if e.not_assessed}
    assert len(few) > 5


# ---------------------------------------------------------------- 7. provenance


def test_manifest_records_inputs_and_parameters(world: World) -> None:
    out = world.merged(False, True, "--grpmax-min-an", GRPMAX_MIN_AN)
    m = manifest(out)
    assert (m["kind"], m["countries"], m["assembly"], m["goe_version"]) == ("merged", list(CODES), "GRCh38",
                                                                            goe.__version__)
    assert m["parameters"] == {"reference": None, "min_allele_count": 0, "min_assessed_fraction": 0.5,
                               "grpmax_min_an": int(GRPMAX_MIN_AN), "heterogeneity_p": 1e-10,
                               "allow_mixed_guidelines": False}
    pk = world.packages[(False, True)]
    want = []
    for c in world.countries:
        own, sites = manifest(pk[c.code]), pk[c.code] / "sites.vcf.gz"
        assert own["files"]["sites.vcf.gz"]["sha256"] == hashlib.sha256(sites.read_bytes()).hexdigest()
        want.append({"countries": [c.code], "dataset_id": c.code, "kind": "package",  # dataset: the package folder
                     "samples": {c.code: {"male": c.males, "female": c.females}}, "guidelines": own["guidelines"],
                     "goe_version": own["goe_version"], "sites_sha256": own["files"]["sites.vcf.gz"]["sha256"],
                     "callable": "regions"})
    assert m["inputs"] == want
    males = sum(c.males for c in world.countries)
    assert m["populations"][0] == {"label": "Total", "samples": 150, "male": males, "female": 150 - males}
    pops = {p["label"]: (p["samples"], p["male"], p["female"]) for p in m["populations"]}
    assert all(pops[c.code] == (c.males + c.females, c.males, c.females) for c in world.countries)
    assert m["callable"] == {c: "regions" for c in CODES}
    assert m["samples_estimated"] == []
    for name, meta in m["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == meta["sha256"]
