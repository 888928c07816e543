"""goe check on a truncated sites VCF and on a VCF that still holds genotypes.

The package is ``goe freq`` on tests/data/1kg/hail_sample.vcf.gz (GRCh37, DE), as in
tests/test_check.py. A truncated copy must be reported (file, line, the last record
read), never crash; a VCF with sample columns must never be called GDI-ready: the
privacy rule is that nothing leaving a country holds a sample ID or a genotype.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pysam
import pytest
from cli_support import KG, hail_package, sh
from typer.testing import CliRunner, Result

from goe.cli.main import app
from goe.package.check import check_path

HAIL = KG / "hail_sample.vcf.gz"
FILTER_346 = ("warning: {name}: 34 of 346 records have a FILTER other than PASS: GDI does not read FILTER and "
              "publishes them all (to publish passing sites only: bcftools view -f PASS)")


def goe(*args: str | Path) -> Result:
    return CliRunner(env={"GOE_DEBUG": None, "GOE_DASK_SCHEDULER": None}).invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``goe freq`` on hail_sample (GRCh37), every sample DE."""
    return hail_package(tmp_path_factory.mktemp("check_review"))


def truncate(src: Path, folder: Path, keep: int | None = None) -> Path:
    """The first ``keep`` bytes (default half) of ``src`` as ``folder/sites.vcf.gz``, as a cut-off copy leaves it."""
    folder.mkdir()
    data = src.read_bytes()
    dest = folder / "sites.vcf.gz"
    dest.write_bytes(data[: len(data) // 2 if keep is None else keep])
    return dest


TRUNCATED = "error: sites.vcf.gz: truncated: no BGZF end-of-file marker (copy or download it again)"


@pytest.mark.parametrize(
    ("keep", "unreadable", "read"),
    [
        (None, "error: sites.vcf.gz line 218: cannot be read (the last readable record is line 217, 20:13610657 A>C): "
               "the file is truncated or corrupt; copy or download it again", "130 records, 130 alleles"),
        (2000, "error: sites.vcf.gz line 88: cannot be read (no record could be read): the file is truncated or "
               "corrupt; copy or download it again", "0 records, 0 alleles"),
    ],
    ids=["half", "header-only"],
)
def test_truncated_sites_vcf_is_reported(package: Path, tmp_path: Path, keep: int | None, unreadable: str,
                                         read: str) -> None:
    sites = truncate(package / "sites.vcf.gz", tmp_path / "k", keep)
    for target in (tmp_path / "k", sites):
        result = goe("check", target)
        assert result.exit_code == 1, result.output
        lines = result.stdout.splitlines()
        assert TRUNCATED in lines
        assert unreadable in lines
        htslib = [ln for ln in lines if ln.startswith("error: sites.vcf.gz: htslib: [E::bgzf_read_block]")]
        assert len(htslib) == 1, lines
        assert lines[-1].startswith(f"{target}: not GDI-ready: ")
        assert lines[-1].endswith(f"; {read}, 6 populations (GRCh37)")
        assert "internal error" not in result.output
    report = check_path(sites)
    assert [p.kind for p in report.errors] == ["truncated", "unreadable", "htslib"]


def test_truncated_header_is_reported(package: Path, tmp_path: Path) -> None:
    sites = truncate(package / "sites.vcf.gz", tmp_path / "k", 500)
    result = goe("check", sites)
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == TRUNCATED
    assert lines[1].startswith("error: sites.vcf.gz: cannot be read as VCF/BCF ([E::bgzf_read_block] ")
    assert lines[-1] == f"{sites}: not GDI-ready: 2 errors, 0 warnings; 0 records, 0 alleles, 0 populations"


@pytest.fixture(scope="module")
def genotypes(tmp_path_factory: pytest.TempPathFactory, bcftools: str) -> Path:
    """``bcftools +fill-tags -t AC,AN,AF`` on hail_sample (100 samples), ##reference=GRCh37: GDI-ready but for GT."""
    tmp = tmp_path_factory.mktemp("genotypes")
    ref = tmp / "ref.txt"
    ref.write_text("##reference=GRCh37\n")
    tagged = tmp / "tagged.bcf"
    sh(bcftools, "+fill-tags", HAIL, "-Ob", "-o", tagged, "--", "-t", "AC,AN,AF")
    out = tmp / "filltags.vcf.gz"
    sh(bcftools, "annotate", "-h", ref, tagged, "-Oz", "-o", out)
    sh(bcftools, "index", "-t", out)
    return out


@pytest.mark.tools
def test_genotype_vcf_is_not_gdi_ready(genotypes: Path, tmp_path: Path, bcftools: str) -> None:
    result = goe("check", genotypes)
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines() == [
        "error: filltags.vcf.gz line 58: has 100 sample columns (genotypes): a shareable file must be a sites-only "
        "VCF; drop them with 'bcftools view -G'",
        FILTER_346.format(name="filltags.vcf.gz"),
        f"{genotypes}: not GDI-ready: 1 error, 1 warning; 346 records, 346 alleles, 1 population (GRCh37)",
    ]
    bcf = tmp_path / "filltags.bcf"
    sh(bcftools, "view", genotypes, "-Ob", "-o", bcf)
    assert [str(p) for p in check_path(bcf).errors] == [
        "error: filltags.bcf header: has 100 sample columns (genotypes): a shareable file must be a sites-only VCF; "
        "drop them with 'bcftools view -G'"]
    sites = tmp_path / "sites.vcf.gz"
    sh(bcftools, "view", "-G", genotypes, "-Oz", "-o", sites)
    sh(bcftools, "index", "-t", sites)
    ok = goe("check", sites)
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.splitlines()[-1] == (
        f"{sites}: GDI-ready: 0 errors, 1 warning; 346 records, 346 alleles, 1 population (GRCh37)")


def test_one_sample_column_in_a_package(package: Path, tmp_path: Path) -> None:
    """A package whose sites VCF carries a sample column is caught as well (singular wording)."""
    pkg = tmp_path / "pkg"
    shutil.copytree(package, pkg)
    with gzip.open(pkg / "sites.vcf.gz", "rt") as fh:
        lines = fh.read().splitlines()
    out = []
    for ln in lines:
        if ln.startswith("#CHROM"):
            out += ['##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">', ln + "\tFORMAT\tHG00096"]
        elif ln.startswith("#"):
            out.append(ln)
        else:
            out.append(ln + "\tGT\t0/1")
    plain = tmp_path / "sites.vcf"
    plain.write_text("\n".join(out) + "\n")
    pysam.tabix_compress(str(plain), str(pkg / "sites.vcf.gz"), force=True)
    errors = check_path(pkg).errors
    assert [p.kind for p in errors] == ["checksum", "genotypes"]
    assert str(errors[1]) == (f"error: sites.vcf.gz line {len(out) - 346}: has 1 sample column (genotypes): a "
                              "shareable file must be a sites-only VCF; drop them with 'bcftools view -G'")
