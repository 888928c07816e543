"""goe merge refuses, in one line and exit 1: a truncated input, an input with genotypes, a bad or false ``=CC``.

Packages are ``goe freq`` on tests/data/1kg/hail_sample.vcf.gz (GRCh37): one with every sample
DE, one with the samples split between FI and GB. Nothing may reach the process's stderr
past the CLI (htslib writes to file descriptor 2): ``capfd`` checks that.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest
from cli_support import KG, sh
from typer.testing import CliRunner, Result

from goe.cli.main import app

HAIL = KG / "hail_sample.vcf.gz"


def goe(*args: str | Path) -> Result:
    return CliRunner(env={"GOE_DEBUG": None, "GOE_DASK_SCHEDULER": None}).invoke(app, [str(a) for a in args])


def _package(tmp: Path, name: str, country_of: dict[int, str] | str) -> Path:
    with (KG / "hail_sample.samples.tsv").open() as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    sheet = tmp / f"{name}.tsv"
    sheet.write_text("sample_id\tsex\tcountry\n" + "".join(
        f"{r['vcf_sample_id']}\t{r['sex']}\t{country_of if isinstance(country_of, str) else country_of[i % 2]}\n"
        for i, r in enumerate(rows)))
    result = goe("freq", HAIL, "--samples", sheet, "--out", tmp / name, "--assembly", "GRCh37", "-q", "-j", "1")
    assert result.exit_code == 0, result.output
    return tmp / name


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("merge_inputs")
    return {"DE": _package(tmp, "pDE", "DE"), "FIGB": _package(tmp, "base", {0: "GB", 1: "FI"})}


def refused(tmp_path: Path, capfd: pytest.CaptureFixture[str], *inputs: str | Path) -> list[str]:
    """stderr lines of a `goe merge` that must exit 1 without writing anything."""
    out = tmp_path / "europe"
    capfd.readouterr()
    result = goe("merge", *inputs, "--out", out, "-q", "-j", "1")
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert not out.exists()
    assert capfd.readouterr().err == ""
    return result.stderr.splitlines()


# -- 1. a truncated sites VCF --------------------------------------------------------------------------------


def _truncated(packages: dict[str, Path], tmp_path: Path) -> Path:
    data = (packages["DE"] / "sites.vcf.gz").read_bytes()
    (tmp_path / "k").mkdir()
    sites = tmp_path / "k" / "sites.vcf.gz"
    sites.write_bytes(data[: len(data) // 2])
    (tmp_path / "k" / "sites.vcf.gz.tbi").write_bytes((packages["DE"] / "sites.vcf.gz.tbi").read_bytes())
    return sites


@pytest.mark.parametrize("spec", ["{}", "{}=de"])
def test_truncated_sites_vcf(packages: dict[str, Path], tmp_path: Path, capfd: pytest.CaptureFixture[str],
                             spec: str) -> None:
    """The records are read to estimate the samples (the VCF does not say them): a cut-off file stops that."""
    sites = _truncated(packages, tmp_path)
    given = spec.format(sites)
    assert refused(tmp_path, capfd, given, packages["FIGB"]) == [
        f"error: {sites.resolve()}: record 131 cannot be read (the last readable record is 20:13610657): the file "
        f"is truncated or corrupt; copy or download it again; see: goe check {sites}"]


def test_truncated_package(packages: dict[str, Path], tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """A package truncated before packaging (checksums match): goe check's first error, one line."""
    sites = _truncated(packages, tmp_path)
    pkg = sites.parent
    manifest = json.loads((packages["DE"] / "manifest.json").read_text())
    manifest["files"] = {n: {"sha256": hashlib.sha256((pkg / n).read_bytes()).hexdigest(),
                             "bytes": (pkg / n).stat().st_size} for n in ("sites.vcf.gz", "sites.vcf.gz.tbi")}
    (pkg / "manifest.json").write_text(json.dumps(manifest))
    assert refused(tmp_path, capfd, pkg, packages["FIGB"]) == [
        f"error: {pkg} fails the GDI checks: sites.vcf.gz: truncated: no BGZF end-of-file marker (copy or download "
        f"it again) (and 2 more); see every problem with: goe check {pkg}"]


# -- 2. genotypes ------------------------------------------------------------------------------------------


@pytest.mark.tools
@pytest.mark.parametrize("spec", ["{}", "{}=FI"])
def test_genotype_vcf_is_refused(packages: dict[str, Path], tmp_path: Path, capfd: pytest.CaptureFixture[str],
                                 bcftools: str, spec: str) -> None:
    ref = tmp_path / "ref.txt"
    ref.write_text("##reference=GRCh37\n")
    tagged, vcf = tmp_path / "tagged.bcf", tmp_path / "FI.vcf.gz"
    sh(bcftools, "+fill-tags", HAIL, "-Ob", "-o", tagged, "--", "-t", "AC,AN,AF")
    sh(bcftools, "annotate", "-h", ref, tagged, "-Oz", "-o", vcf)
    sh(bcftools, "index", "-t", vcf)
    assert refused(tmp_path, capfd, spec.format(vcf), packages["DE"]) == [
        f"error: {vcf}: has 100 sample columns (genotypes); goe merge takes sites-only VCFs; share the sites only: "
        "bcftools view -G"]


# -- 3. PATH=CC ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("{DE}/sites.vcf.gz=UK", "{DE}/sites.vcf.gz=UK: 'UK' is not an ISO 3166-1 alpha-2 country code; did you mean "
                                 "{DE}/sites.vcf.gz=GB?"),
        ("{DE}=ZZ", "{DE}=ZZ: 'ZZ' is not an ISO 3166-1 alpha-2 country code; name the country with its two-letter "
                    "code, e.g. {DE}=FI"),
        ("{DE}=FI", "{DE}=FI: the input says its country is DE (manifest.json and its INFO fields), not FI; =CC only "
                    "names the country of an input that does not say it; give {DE} alone"),
        ("{DE}/sites.vcf.gz=fi", "{DE}/sites.vcf.gz=fi: the input says its country is DE (its INFO fields), not FI; "
                                 "=CC only names the country of an input that does not say it; give "
                                 "{DE}/sites.vcf.gz alone"),
        ("{FIGB}=DE", "{FIGB}=DE: the input says its countries are FI and GB (manifest.json and its INFO fields), "
                      "not DE; =CC only names the country of an input that does not say it; give {FIGB} alone"),
    ],
    ids=["UK", "unknown", "manifest-says-DE", "lower-case-info-says-DE", "two-countries"],
)
def test_forced_country_is_checked(packages: dict[str, Path], tmp_path: Path, capfd: pytest.CaptureFixture[str],
                                   spec: str, message: str) -> None:
    assert refused(tmp_path, capfd, spec.format(**packages)) == ["error: " + message.format(**packages)]


def test_forced_country_that_agrees(packages: dict[str, Path], tmp_path: Path) -> None:
    """``=de`` on the DE package repeats what it says: read as DE, in upper case."""
    out = tmp_path / "europe"
    result = goe("merge", f"{packages['DE']}=de", packages["FIGB"], "--out", out, "-q", "-j", "1")
    assert result.exit_code == 0, result.output
    assert json.loads((out / "manifest.json").read_text())["countries"] == ["DE", "FI", "GB"]


@pytest.mark.tools
def test_lower_case_code_names_a_total_only_vcf(packages: dict[str, Path], tmp_path: Path, bcftools: str) -> None:
    """A sites VCF with AC/AN/AF for all samples only, named ``=fi``: merged as FI."""
    ref = tmp_path / "ref.txt"
    ref.write_text("##reference=GRCh37\n")
    tagged, vcf = tmp_path / "tagged.bcf", tmp_path / "total.vcf.gz"
    sh(bcftools, "+fill-tags", HAIL, "-Ob", "-o", tagged, "--", "-t", "AC,AN,AF")
    sh(bcftools, "view", "-G", tagged, "-Ob", "-o", tmp_path / "sites.bcf")
    sh(bcftools, "annotate", "-h", ref, tmp_path / "sites.bcf", "-Oz", "-o", vcf)
    sh(bcftools, "index", "-t", vcf)
    out = tmp_path / "europe"
    result = goe("merge", f"{vcf}=fi", packages["DE"], "--out", out, "-q", "-j", "1")
    assert result.exit_code == 0, result.output
    m = json.loads((out / "manifest.json").read_text())
    assert m["countries"] == ["DE", "FI"]
    assert m["samples_estimated"] == ["FI"]
