"""Inputs a reviewer found goe mishandling: each is now counted right or refused in one clear line.

Files named for another format, headers htslib cannot parse, calls goe cannot count
(polyploid, no GT), a keep list saved with a byte-order mark, more populations than
the C formatter used to take, and SIGTERM in the middle of a run.
"""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from cli_support import SMALL_VCF, leftovers, write_sheet
from typer.testing import CliRunner, Result

from goe.cli.main import app


def freq(cohort: Path, sheet: Path, out: Path, *extra: str) -> Result:
    return CliRunner().invoke(app, ["freq", str(cohort), "--samples", str(sheet), "--out", str(out),
                                    "--quiet", "-j", "1", *extra])


def records(package: Path) -> list[str]:
    with gzip.open(package / "sites.vcf.gz", "rt") as fh:
        return [ln for ln in fh if not ln.startswith("#")]


def bgzip_indexed(text: str, dest: Path, bcftools: str) -> Path:
    plain = dest.with_name(dest.name.removesuffix(".gz"))
    plain.write_text(text)
    subprocess.run([bcftools, "view", "-Oz", "-o", str(dest), str(plain)], check=True)
    subprocess.run([bcftools, "index", "-t", str(dest)], check=True)
    return dest


def one_line_error(res: Result, out: Path, message: str) -> None:
    assert res.exit_code == 1, res.output
    assert [ln for ln in res.stderr.splitlines() if not ln.startswith("warning:")] == [f"error: {message}"]
    assert "Traceback" not in res.output
    assert not out.exists()
    assert leftovers(out) == []


@pytest.fixture
def sheet(tmp_path: Path) -> Path:
    return write_sheet(tmp_path / "sheet.tsv")


def test_a_vcf_gz_named_bcf_is_read_as_vcf(tmp_path: Path, sheet: Path, bcftools: str) -> None:
    """The format comes from the file's first bytes: a bgzipped VCF named .bcf gives the plain run's numbers."""
    ref = freq(SMALL_VCF, sheet, tmp_path / "ref")
    assert ref.exit_code == 0, ref.output
    made, odd = tmp_path / "made.vcf.gz", tmp_path / "v.bcf"
    subprocess.run([bcftools, "view", "-Oz", "-o", str(made), str(SMALL_VCF)], check=True)
    made.rename(odd)
    subprocess.run([bcftools, "index", "-c", str(odd)], check=True)
    res = freq(odd, sheet, tmp_path / "odd")
    assert res.exit_code == 0, res.output
    assert records(tmp_path / "odd") == records(tmp_path / "ref")
    assert pl.read_parquet(tmp_path / "odd" / "frequencies.parquet").equals(
        pl.read_parquet(tmp_path / "ref" / "frequencies.parquet"))


@pytest.mark.parametrize("name", ["x.vcf.gz", "C.BCF", "cohort.data"])
def test_a_bcf_not_named_bcf_is_refused(tmp_path: Path, sheet: Path, bcftools: str, name: str) -> None:
    """Before: 'index_load Invalid index header ... the file may be corrupt' (htslib picks the index by name)."""
    bcf, odd = tmp_path / "made.bcf", tmp_path / name
    subprocess.run([bcftools, "view", "-Ob", "-o", str(bcf), str(SMALL_VCF)], check=True)
    bcf.rename(odd)  # bcftools would pick the output format from a .vcf.gz name
    subprocess.run([bcftools, "index", "-c", str(odd)], check=True)
    out = tmp_path / "pkg"
    stem = name.split(".")[0]
    one_line_error(freq(odd, sheet, out), out,
                   f"{odd}: the file is BCF, but its name does not end in .bcf; rename it and index it again: "
                   f"mv {name} {stem}.bcf && bcftools index {stem}.bcf")


HEADER = (
    "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=248956422>\n"
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
    '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">\n'
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\tC\n"
)
SHEET3 = "sample_id\tsex\tcountry\nA\tF\tFI\nB\tM\tFI\nC\tF\tFI\n"


@pytest.mark.parametrize("reader", ["fast", "htslib"])
@pytest.mark.parametrize(("body", "message"), [
    ("chr1\t100\t.\tA\tG\t50\tPASS\t.\tGT\t0/0\t0/1\t1/1\nchr1\t200\t.\tA\tG\t50\tPASS\t.\tGT\t0/1\t0/0/1\t1/1\n",
     "chr1:200: sample B has a call of ploidy 3; goe counts haploid and diploid calls only; "
     "set polyploid calls missing (or drop the record) before goe"),
    ("chr1\t100\t.\tA\tG\t50\tPASS\t.\tGT\t0/0\t0/1\t1/1\nchr1\t300\t.\tA\tG\t50\tPASS\t.\tGQ\t5\t6\t7\n",
     "chr1:300 has no GT (FORMAT is GQ); goe counts genotypes; every record of a joint-called VCF has GT: "
     "check how the file was made"),
])
def test_calls_goe_cannot_count_are_refused(tmp_path: Path, bcftools: str, monkeypatch: pytest.MonkeyPatch,
                                            reader: str, body: str, message: str) -> None:
    """Before: 0/0/1 was counted as 0/0, and a record without GT was called a corrupt file."""
    if reader == "htslib":
        monkeypatch.setenv("GOE_READER", "htslib")
    vcf = bgzip_indexed(HEADER + body, tmp_path / "odd.vcf.gz", bcftools)
    (tmp_path / "s.tsv").write_text(SHEET3)
    out = tmp_path / "pkg"
    res = freq(vcf, tmp_path / "s.tsv", out, "--no-mask")
    one_line_error(res, out, f"{vcf}: {message}")


def test_a_header_htslib_cannot_parse(tmp_path: Path, sheet: Path, bcftools: str) -> None:
    """Before: exit 3 with 'internal error: Exception: cannot parse VCF header'."""
    with gzip.open(SMALL_VCF, "rt") as fh:
        text = "".join(ln for ln in fh if not ln.startswith("#CHROM"))
    vcf = tmp_path / "nochrom.vcf.gz"
    subprocess.run(["bgzip", "-c"], input=text.encode(), stdout=vcf.open("wb"), check=True)
    subprocess.run([bcftools, "index", "-t", str(vcf)], check=True)
    out = tmp_path / "pkg"
    res = freq(vcf, sheet, out)
    one_line_error(res, out, f"{vcf}: cannot open as VCF/BCF ([E::vcf_hdr_read] No sample line); "
                             "check its header: bcftools view -h nochrom.vcf.gz")


def test_keep_list_with_a_byte_order_mark(tmp_path: Path, sheet: Path) -> None:
    ids = [ln.split("\t")[0] for ln in sheet.read_text().splitlines()[1:60]]
    plain, bom = tmp_path / "keep.txt", tmp_path / "keep_bom.txt"
    plain.write_text("\n".join(ids) + "\n", encoding="utf-8")
    bom.write_text("\n".join(ids) + "\r\n", encoding="utf-8-sig")
    a = freq(SMALL_VCF, sheet, tmp_path / "a", "--keep", str(plain))
    b = freq(SMALL_VCF, sheet, tmp_path / "b", "--keep", str(bom))
    assert a.exit_code == 0, a.output
    assert b.exit_code == 0, b.output
    assert records(tmp_path / "a") == records(tmp_path / "b")


EU = ("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT",
      "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE")


def test_more_than_64_populations(tmp_path: Path, bcftools: str) -> None:
    """25 countries make 78 populations; the C line formatter used to stop at 64 (exit 3).

    AC/AN per country against ``bcftools +fill-tags -S`` on the same samples (no mask).
    """
    rows = [r.split("\t") for r in write_sheet(tmp_path / "base.tsv", strata=False).read_text().splitlines()]
    country = {r[0]: EU[i % len(EU)] for i, r in enumerate(rows[1:])}
    sheet = tmp_path / "eu.tsv"
    sheet.write_text("\n".join(["\t".join(rows[0]), *("\t".join([*r[:2], country[r[0]]]) for r in rows[1:])]) + "\n")
    out = tmp_path / "pkg"
    res = freq(SMALL_VCF, sheet, out, "--no-mask")
    assert res.exit_code == 0, res.output
    groups = tmp_path / "groups.txt"
    groups.write_text("".join(f"{sid}\t{c}\n" for sid, c in country.items()))
    tagged = subprocess.run([bcftools, "+fill-tags", str(SMALL_VCF), "--", "-S", str(groups), "-t", "AC,AN"],
                            capture_output=True, text=True, check=True).stdout
    ref = {}
    for line in tagged.splitlines():
        if not line.startswith("#"):
            f = line.split("\t")
            ref[(f[1], f[3], f[4])] = dict(kv.split("=", 1) for kv in f[7].split(";") if "=" in kv)
    compared = 0
    for line in records(out):
        f = line.split("\t")
        want = ref.get((f[1], f[3], f[4]))  # biallelic input records: the same key in both
        if want is None:
            continue
        got = dict(kv.split("=") for kv in f[7].split(";"))
        for c in EU:
            assert (got[f"AC_{c}"], got[f"AN_{c}"]) == (want[f"AC_{c}"], want[f"AN_{c}"]), (f[1], c)
        compared += 1
    assert compared >= 90


def test_sigterm_stops_cleanly(tmp_path: Path, sheet: Path) -> None:
    """kill / a Slurm time limit / docker stop: exit 130, nothing left behind, as with Ctrl-C."""
    keep = tmp_path / "keep.fifo"
    os.mkfifo(keep)  # goe blocks reading it: the signal arrives while goe is running
    out = tmp_path / "pkg"
    goe = shutil.which("goe", path=str(Path(sys.executable).parent)) or "goe"
    proc = subprocess.Popen([goe, "freq", str(SMALL_VCF), "--samples", str(sheet), "--out", str(out),
                             "--keep", str(keep), "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    time.sleep(2.0)  # start-up: imports, reading the sheet, opening the FIFO
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert stderr == "interrupted; no output was written\n"
    assert stdout == ""
    assert not out.exists()
    assert leftovers(out) == []
