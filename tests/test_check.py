"""goe check: the GDI population grammar, a real goe package that passes, planted problems, real foreign files.

The package is made with ``goe freq`` on tests/data/1kg/hail_sample.vcf.gz
(GRCh37, country DE). Each problem is planted in a copy: the sites VCF is
edited as text and re-bgzipped and re-indexed with pysam, and manifest.json
gets the new checksums, so only the planted problem is left to find.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pysam
import pytest
from cli_support import hail_package
from typer.testing import CliRunner, Result

import goe.cli.check  # noqa: F401  (registers `goe check`)
import goe.cli.freq  # noqa: F401  (registers `goe freq`)
from goe.cli.app import app
from goe.package.check import CheckReport, Problem, check_path
from goe.package.check_counts import af_tolerance
from goe.package.grammar import (
    PopField,
    canonical_id,
    looks_like_pop_field,
    parse_info_id,
    read_info_header,
    rejection_reason,
)
from goe.package.staging import sha256_file

DATA = Path(__file__).parent / "data"
HAIL = DATA / "1kg" / "hail_sample.vcf.gz"
GNOMAD = DATA / "sites" / "gnomad_exomes_r2.1.1_chr1_excerpt.vcf.gz"
NYGC = DATA / "sites" / "nygc2020_chr20_superpop_freqs.bcf"
FILTER_WARNING = (
    "113 of 346 records have a FILTER other than PASS: GDI does not read FILTER and publishes them all "
    "(to publish passing sites only: bcftools view -f PASS)"
)


def goe(*args: str | Path) -> Result:
    """``goe ARGS`` in-process (only the commands this test needs are registered)."""
    return CliRunner(env={"GOE_DEBUG": None}).invoke(app, [str(a) for a in args])


# -- the grammar -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("info_id", "field", "label"),
    [
        ("AC", PopField("AC", None, None, None, True), "Total"),
        ("AF", PopField("AF", None, None, None, True), "Total"),
        ("AF_FI", PopField("AF", None, "FI", None, True), "FI"),
        ("AN_F", PopField("AN", None, None, "F", True), "F"),
        ("AC_FI_M_Het", PopField("AC", "Het", "FI", "M", True), "FI_M"),
        ("AC_M_FI_Het", PopField("AC", "Het", "FI", "M", True), "FI_M"),
        ("AC_Het_FI_M", PopField("AC", "Het", "FI", "M", False), "FI_M"),
        ("AC_Hom", PopField("AC", "Hom", None, None, True), "Total"),
        ("AC_Hemi_M", PopField("AC", "Hemi", None, "M", False), "M"),
        ("AN_DE_F", PopField("AN", None, "DE", "F", True), "DE_F"),
        ("AF_F_DE", PopField("AF", None, "DE", "F", True), "DE_F"),
    ],
)
def test_parse_info_id_valid(info_id: str, field: PopField, label: str) -> None:
    assert parse_info_id(info_id) == field
    assert field.label == label
    assert rejection_reason(info_id) is None


@pytest.mark.parametrize(
    ("info_id", "reason"),
    [
        ("AF_nfe", "'nfe' is lower case; a population token is a two-letter upper-case country code or M/F"),
        ("EUR_AF", "the statistic is not the first token (the grammar is AF_<population>, not <population>_AF)"),
        ("AC_Het_Hom", "2 zygosity tokens; at most one is allowed"),
        ("AF_Het", "a zygosity token (Het) on AF; only AC carries one"),
        ("AN_FI_Hom", "a zygosity token (Hom) on AN; only AC carries one"),
        ("AC_fi", "'fi' is lower case; a population token is a two-letter upper-case country code or M/F"),
        ("AC_FIN", "'FIN' has 3 letters; a country code has exactly two"),
        ("NS_FI", "the first token is not AF, AC or AN"),
        ("goe_AC_region_north", "the statistic is not the first token (the grammar is AF_<population>, not "
         "<population>_AF)"),
        ("AC_FI_NL", "2 country tokens; at most one is allowed"),
        ("AC_M_F", "2 sex tokens; at most one is allowed"),
        ("AF_XX", "'XX' is a chromosomal-sex stratum, not a country code (use M or F)"),
        ("AC_hom", "'hom' must be spelled Hom"),
        ("AF_1KG", "'1KG' is not a two-letter upper-case country code, M/F or Hom/Het/Hemi"),
        ("AF_", "'' is not a two-letter upper-case country code, M/F or Hom/Het/Hemi"),
        ("af", "the first token is not AF, AC or AN"),
        ("DP", "the first token is not AF, AC or AN"),
    ],
)
def test_parse_info_id_invalid(info_id: str, reason: str) -> None:
    assert parse_info_id(info_id) is None
    assert rejection_reason(info_id) == reason


def test_canonical_id_and_pop_field_look() -> None:
    for info_id, canon in [("AC_Het_FI_M", "AC_FI_M_Het"), ("AC_M_FI_Het", "AC_FI_M_Het"), ("AF_F_DE", "AF_DE_F"),
                           ("AC_FI_M_Het", "AC_FI_M_Het"), ("AN", "AN")]:
        field = parse_info_id(info_id)
        assert field is not None
        assert canonical_id(field) == canon
        assert parse_info_id(canon) == PopField(field.stat, field.zygosity, field.country, field.sex, True)
    assert [looks_like_pop_field(i) for i in ("AF_nfe", "EUR_AF", "controls_AC_afr", "NS_FI", "DP", "HWE")] == [
        True, True, True, False, False, False]


def test_goe_writes_what_the_parser_reads() -> None:
    """Every name goe's writer (goe.package.gdi) emits parses, zygosity last, to the group's label."""
    import numpy as np

    from goe.cohort.groups import Group
    from goe.package.gdi import info_keys_per_group

    groups = tuple(Group(label, kind, np.ones(1, dtype=bool)) for label, kind in
                   [("Total", "total"), ("M", "sex"), ("FI", "country"), ("FI_F", "country_sex")])
    for group, keys in zip(groups, info_keys_per_group(groups), strict=True):
        for key, info_id in keys:
            field = parse_info_id(info_id)
            if key in ("ns", "f_missing", "hwe"):
                assert field is None
                assert not looks_like_pop_field(info_id)
            else:
                assert field is not None
                assert field.zygosity_last
                assert canonical_id(field) == info_id
                assert field.label == group.label


def test_read_info_header_findings() -> None:
    decls = [(1, "AF", "A"), (2, "AC", "1"), (3, "AN", "1"), (4, "AN_FI", "A"), (5, "AF_FI", "A"),
             (6, "AC_FI_Het", "A"), (7, "AC_Het_FI", "A"), (8, "AC_SE", "A"), (9, "AF_nfe", "A"), (10, "AN_G", "2")]
    header = read_info_header(decls)
    got = [(f.line, f.severity, f.kind, f.message) for f in header.findings]
    assert got == [
        (2, "error", "info-number", "INFO AC has Number=1, but GDI needs Number=A (one value per ALT allele)"),
        (7, "warning", "info-order", "INFO AC_Het_FI: the GDI node reads it, but the Python mini-node ignores it "
         "(the zygosity token must be last): write AC_FI_Het"),
        (7, "warning", "info-duplicate", "INFO AC_Het_FI and AC_FI_Het are the same statistic for population FI: "
         "GDI keeps whichever comes last; remove one"),
        (9, "warning", "info-unread", "INFO AF_nfe is not in the GDI population grammar ('nfe' is lower case; a "
         "population token is a two-letter upper-case country code or M/F): GDI will not read it"),
        (10, "warning", "info-unread", "INFO AN_G is not in the GDI population grammar ('G' is not a two-letter "
         "upper-case country code, M/F or Hom/Het/Hemi): GDI will not read it"),
        (0, "error", "info-number", "AN fields mix Number=1 (AN) and Number=A (AN_FI): GDI needs all AN fields alike"),
        (0, "error", "no-af", "population SE has AC_SE but no AF field: the Python mini-node halts on it and the GDI "
         "node serves no row for it"),
    ]
    assert sorted(header.populations) == ["FI", "Total"]
    assert header.populations["FI"] == {"AN": "AN_FI", "AF": "AF_FI", "AC_Het": "AC_Het_FI"}


def test_read_info_header_no_af_and_too_many_populations() -> None:
    assert [f.message for f in read_info_header([(1, "AC", "A"), (2, "EUR_AF", "A")]).findings][-1] == (
        "no AF INFO field in the GDI grammar: GDI has nothing to read")
    countries = [a + b for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"]
    many = [(i, f"AF_{c}", "A") for i, c in enumerate(countries[:513], 1)]
    assert [f.message for f in read_info_header(many).findings] == [
        "513 populations, but GDI accepts at most 512"]


def test_af_tolerance_follows_the_node() -> None:
    assert [af_tolerance(an) for an in (0, 10, 1_666_666, 1_666_667, 4_000_000, 10_000_000)] == [1, 1, 1, 2, 3, 6]


# -- a real goe package ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``goe freq`` on hail_sample (GRCh37), every sample DE."""
    return hail_package(tmp_path_factory.mktemp("check"))


def test_goe_package_passes(package: Path) -> None:
    report = check_path(package)
    assert report.errors == []
    assert report.warnings == [Problem("sites.vcf.gz", FILTER_WARNING, "warning", "filter")]
    assert (report.kind, report.assembly, report.records, report.alleles) == ("package", "GRCh37", 346, 346)
    assert report.populations == ["DE", "DE_F", "DE_M", "F", "M", "Total"]


def plant(package: Path, dest: Path, edit: Callable[[str], str]) -> Path:
    """A copy of ``package`` whose sites VCF text went through ``edit``; the manifest is brought up to date."""
    shutil.copytree(package, dest)
    sites = dest / "sites.vcf.gz"
    with gzip.open(sites, "rt") as fh:
        text = fh.read()
    edited = edit(text)
    assert edited != text, "the edit changed nothing"
    plain = dest / "sites.vcf"
    plain.write_text(edited)
    sites.unlink()
    (dest / "sites.vcf.gz.tbi").unlink()
    pysam.tabix_compress(str(plain), str(sites))
    plain.unlink()
    with contextlib.suppress(OSError):  # an unsorted file cannot be indexed
        pysam.tabix_index(str(sites), preset="vcf")
    manifest = json.loads((dest / "manifest.json").read_text())
    manifest["files"] = {n: {"sha256": sha256_file(dest / n), "bytes": (dest / n).stat().st_size}
                         for n in manifest["files"] if (dest / n).exists()}
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return dest


def records(edit: Callable[[list[list[str]]], None]) -> Callable[[str], str]:
    """An edit of the tab-split record lines (header lines untouched)."""
    def apply(text: str) -> str:
        lines = text.splitlines()
        head = [ln for ln in lines if ln.startswith("#")]
        body = [ln.split("\t") for ln in lines if not ln.startswith("#")]
        edit(body)
        return "\n".join(head + ["\t".join(r) for r in body]) + "\n"
    return apply


def one_decimal_af(text: str) -> str:
    return re.sub(r"(;AF_DE=)([0-9][0-9.e-]*)", lambda m: f"{m.group(1)}{float(m.group(2)):.1f}", text)


def _set(row: int, col: int, value: str) -> Callable[[list[list[str]]], None]:
    def edit(body: list[list[str]]) -> None:
        body[row][col] = value
    return edit


def _swap(body: list[list[str]]) -> None:
    body[10], body[11] = body[11], body[10]


def _second_alt(body: list[list[str]]) -> None:
    """Record 1 gets a second ALT, C, never seen: 0 appended to every per-ALT value."""
    body[0][4] += ",C"
    body[0][7] = ";".join(kv + ",0" if kv.split("=")[0].startswith(("AC", "AF", "HWE")) else kv
                          for kv in body[0][7].split(";"))


PLANTED = {
    "af-precision": (one_decimal_af, "error", "af-inconsistent", "sites.vcf.gz line 88, 20:10019093 A>G",
                     "AF_DE=0.4 and AN_DE=200 give round(AF x AN) = 80, but AC_DE = 89: GDI rejects it (it allows "
                     "1 allele); print AF with more digits or recompute it as AC/AN"),
    "af-nfe": (lambda t: t.replace("##INFO=<ID=AC_DE,", '##INFO=<ID=AF_nfe,Number=A,Type=Float,Description="x">\n'
                                   "##INFO=<ID=AC_DE,"), "warning", "info-unread", "sites.vcf.gz line 60",
               "INFO AF_nfe is not in the GDI population grammar ('nfe' is lower case; a population token is a "
               "two-letter upper-case country code or M/F): GDI will not read it"),
    "zygosity-first": (lambda t: t.replace("AC_DE_Het", "AC_Het_DE"), "warning", "info-order", "sites.vcf.gz line 64",
                       "INFO AC_Het_DE: the GDI node reads it, but the Python mini-node ignores it (the zygosity "
                       "token must be last): write AC_DE_Het"),
    "symbolic-alt": (records(_set(4, 4, "<DEL>")), "warning", "symbolic", "sites.vcf.gz line 92, 20:10030452 G><DEL>",
                     "ALT <DEL> is symbolic, a breakend or '*': GDI drops it"),
    "non-acgtn-alt": (records(_set(5, 4, "R")), "error", "bad-base", "sites.vcf.gz line 93, 20:10030508 T>R",
                      "ALT R has letters other than A, C, G, T, N: GDI rejects it"),
    "decoy-contig": (records(_set(-1, 0, "hs37d5")), "error", "contig", "sites.vcf.gz line 433, hs37d5:17970876 G>T",
                     "contig hs37d5 (1 record) is not a primary chromosome (1-22, X, Y, MT): the GDI node drops "
                     "these records and the Python mini-node halts on them; keep primary contigs only"),
    "unsorted": (records(_swap), "error", "unsorted", "sites.vcf.gz line 99, 20:10036202 G>A",
                 "out of order: position 10,036,202 comes after 10,256,252: sort the file (bcftools sort)"),
    "wrong-assembly": (lambda t: t.replace("##reference=GRCh37", "##reference=hg19"), "error", "assembly",
                       "sites.vcf.gz line 3", "##reference 'hg19' is not an assembly name GDI accepts: write "
                       "##reference=GRCh37"),
    "multiallelic": (records(_second_alt), "warning", "multiallelic", "sites.vcf.gz line 88, 20:10019093 A>G,C",
                     "2 ALT alleles on one record: GDI prefers split alleles (bcftools norm -m -any)"),
    "ac-over-an": (lambda t: t.replace("AC_DE_F=57;", "AC_DE_F=157;", 1), "error", "ac-over-an",
                   "sites.vcf.gz line 88, 20:10019093 A>G", "AC_DE_F = 157 exceeds AN_DE_F = 118: GDI rejects it"),
    "zygosity-sum": (lambda t: t.replace("AC_DE_M_Hom=14;", "AC_DE_M_Hom=12;", 1), "error", "zygosity-sum",
                     "sites.vcf.gz line 88, 20:10019093 A>G", "AC_DE_M_Hom (12) + AC_DE_M_Het (18) + AC_DE_M_Hemi (0)"
                     " = 30, but AC_DE_M = 32: GDI rejects it (with all three present they must add up to AC)"),
    "contig-length": (lambda t: t.replace("##contig=<ID=20,length=63025520", "##contig=<ID=20,length=64444167"),
                      "error", "contig-length", "sites.vcf.gz line 10", "contig 20 has length 64,444,167, but "
                      "63,025,520 in GRCh37 (it is GRCh38's length): the records do not belong to GRCh37"),
    "af-range": (lambda t: t.replace("AF_DE_M=0.390244;", "AF_DE_M=1.390244;", 1), "error", "bad-value",
                 "sites.vcf.gz line 88, 20:10019093 A>G", "AF_DE_M = 1.39024 is outside [0, 1]: GDI rejects it"),
    "af-number": (lambda t: t.replace("<ID=AF_M,Number=A", "<ID=AF_M,Number=."), "error", "info-number",
                  "sites.vcf.gz line 44", "INFO AF_M has Number=., but GDI needs Number=A (one value per ALT allele)"),
}


@pytest.mark.parametrize("name", list(PLANTED))
def test_planted_problem(package: Path, tmp_path: Path, name: str) -> None:
    edit, severity, kind, where, message = PLANTED[name]
    report = check_path(plant(package, tmp_path / name, edit))
    first = next(p for p in report.problems if p.kind == kind)
    assert first == Problem(where, message, severity, kind)
    others = [p for p in report.problems if p.kind not in (kind, "filter", "index")]
    if name == "af-precision":  # rounding to one digit also lands within the 1-allele slack at some alleles
        others = [p for p in others if p.kind != "af-inexact"]
    assert others == []
    assert bool(report.errors) == (severity == "error")


def test_af_precision_lists_ten_then_counts(package: Path, tmp_path: Path) -> None:
    report = check_path(plant(package, tmp_path / "p", one_decimal_af))
    shown = [p for p in report.problems if p.kind == "af-inconsistent"]
    assert len(shown) == 11
    assert re.fullmatch(r"\d+ more alleles with AF inconsistent with AC/AN, not listed one by one \(af-inconsistent\)",
                        shown[-1].message)


def test_sites_vcf_alone_without_index(package: Path, tmp_path: Path) -> None:
    sites = tmp_path / "sites.vcf.gz"
    shutil.copy(package / "sites.vcf.gz", sites)
    report = check_path(sites)
    assert report.errors == []
    assert report.warnings[0] == Problem("sites.vcf.gz", "no index (.tbi or .csi) next to it: create one with "
                                         "'bcftools index sites.vcf.gz'", "warning", "index")
    assert (report.kind, report.records, report.assembly) == ("vcf", 346, "GRCh37")


def _copy(package: Path, dest: Path) -> Path:
    shutil.copytree(package, dest)
    return dest


def test_sha256_mismatch(package: Path, tmp_path: Path) -> None:
    pkg = _copy(package, tmp_path / "p")
    parquet = pkg / "frequencies.parquet"
    data = bytearray(parquet.read_bytes())
    data[len(data) // 2] ^= 0xFF
    parquet.write_bytes(bytes(data))
    listed = json.loads((pkg / "manifest.json").read_text())["files"]["frequencies.parquet"]["sha256"]
    report = check_path(pkg)
    assert report.errors == [Problem(
        "frequencies.parquet", f"does not match manifest.json (sha256 {sha256_file(parquet)[:12]}… instead of "
        f"{listed[:12]}…): the file changed after packaging; re-create the package", "error", "checksum")]


def test_missing_unlisted_and_broken_manifest(package: Path, tmp_path: Path) -> None:
    pkg = _copy(package, tmp_path / "p")
    (pkg / "frequencies.parquet").rename(pkg / "notes.parquet")
    report = check_path(pkg)
    assert report.errors == [Problem("frequencies.parquet", "listed in manifest.json but missing from the package: "
                                     "re-create or re-download it", "error", "file-missing")]
    assert Problem("notes.parquet", "in the package folder but not listed in manifest.json (no checksum vouches "
                   "for it)", "warning", "unlisted-file") in report.warnings
    (pkg / "manifest.json").write_text('{"files": ')
    report = check_path(pkg)
    assert report.errors[0].where == "manifest.json"
    assert report.errors[0].message.startswith("not valid JSON (Expecting value: line 1 column 11")
    manifest = json.loads((package / "manifest.json").read_text())
    (pkg / "manifest.json").write_text(json.dumps({**manifest, "assembly": "hg19"}))
    assert Problem("manifest.json", "assembly 'hg19' is not an assembly name GDI accepts: write \"assembly\": "
                   '"GRCh37"', "error", "assembly") in check_path(pkg).errors


def test_cli(package: Path, tmp_path: Path) -> None:
    ok = goe("check", package)
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.splitlines() == [
        f"warning: sites.vcf.gz: {FILTER_WARNING}",
        f"{package}: GDI-ready: 0 errors, 1 warning; 346 records, 346 alleles, 6 populations (GRCh37)",
    ]
    bad = plant(package, tmp_path / "bad", records(_set(5, 4, "R")))
    result = goe("check", bad)
    assert result.exit_code == 1
    assert "error: sites.vcf.gz line 93, 20:10030508 T>R: ALT R has letters other than A, C, G, T, N: GDI rejects it" \
        in result.stdout.splitlines()
    assert result.stdout.splitlines()[-1].startswith(f"{bad}: not GDI-ready: 1 error, 1 warning;")
    as_json = goe("check", bad, "--json")
    assert as_json.exit_code == 1
    doc = json.loads(as_json.stdout)
    assert (doc["errors"], doc["warnings"], doc["records"], doc["kind"]) == (1, 1, 346, "package")
    assert doc["problems"][0] == {"where": "sites.vcf.gz line 93, 20:10030508 T>R", "message": "ALT R has letters "
                                  "other than A, C, G, T, N: GDI rejects it", "severity": "error", "kind": "bad-base"}
    assert goe("check", tmp_path / "nothing.vcf.gz").exit_code == 1


# -- files goe did not write -------------------------------------------------------------------------------------


def _kinds(report: CheckReport) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in report.problems:
        out[p.kind] = out.get(p.kind, 0) + 1
    return out


def test_gnomad_sites() -> None:
    """gnomAD v2.1.1: lower-case strata (AF_nfe_seu) and prefixed subsets (controls_AF_afr): only Total is read."""
    report = check_path(GNOMAD)
    assert report.errors == []
    assert (report.assembly, report.records, report.alleles, report.populations) == ("GRCh37", 100, 100, ["Total"])
    assert _kinds(report) == {"index": 1, "assembly": 1, "info-unread": 11, "total-only": 1, "filter": 1}
    w = {p.kind: p for p in report.warnings}
    assert w["index"].message.startswith("compressed with gzip, not bgzip")
    assert w["assembly"] == Problem("gnomad_exomes_r2.1.1_chr1_excerpt.vcf.gz header", "no ##reference line; the "
                                    "contig lengths are GRCh37's: add ##reference=GRCh37", "warning", "assembly")
    unread = [p for p in report.problems if p.kind == "info-unread"]
    assert unread[0].message == ("INFO AC_nfe_seu is not in the GDI population grammar ('nfe' is lower case; a "
                                 "population token is a two-letter upper-case country code or M/F): GDI will not "
                                 "read it")
    assert "controls_AC_afr_male is not in the GDI population grammar (the statistic is not the first token" in (
        unread[3].message)
    assert unread[-1].message == "557 more INFO fields GDI will not read, not listed one by one (info-unread)"
    assert w["total-only"].message == ("only the Total population is readable (567 frequency-like INFO fields are "
                                       "not): GDI will publish no per-population frequencies")


def test_nygc_superpopulation_bcf() -> None:
    """1000 Genomes NYGC: AF_EUR-style three-letter codes, 1000Gp3_AF, and a FASTA path as ##reference."""
    report = check_path(NYGC)
    assert report.errors == [Problem(
        "nygc2020_chr20_superpop_freqs.bcf header", "##reference 'file:///gpfs/commons/datasets/old-nygc-resources/"
        "GRCh38_1000genomes/GRCh38_full_analysis_set_plus_decoy_hla.fa' is not an assembly name GDI accepts: write "
        "##reference=GRCh38", "error", "assembly")]
    assert (report.assembly, report.records, report.populations) == ("GRCh38", 21, ["Total"])
    unread = [p.message for p in report.problems if p.kind == "info-unread"]
    assert unread[0] == ("INFO AN_EUR is not in the GDI population grammar ('EUR' has 3 letters; a country code has "
                         "exactly two): GDI will not read it")
    assert unread[-1] == "42 more INFO fields GDI will not read, not listed one by one (info-unread)"
    assert any(p.kind == "total-only" and "(52 frequency-like INFO fields are not)" in p.message
               for p in report.warnings)
    assert goe("check", NYGC).exit_code == 1
