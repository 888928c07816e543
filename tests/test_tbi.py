"""goe's own tabix index of the sites VCF (written from the partitions' offsets, no second pass)
finds exactly the records that an index made by htslib finds."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pysam
import pytest
from helpers.simulate import SimSpec, simulate
from typer.testing import CliRunner

from goe.cli.main import app
from goe.vcf.index import read_index
from goe.vcf.tbi import reg2bin


def _reg2bin(beg: int, end: int) -> int:
    """The specification's C function, one interval at a time."""
    end -= 1
    if beg >> 14 == end >> 14:
        return ((1 << 15) - 1) // 7 + (beg >> 14)
    if beg >> 17 == end >> 17:
        return ((1 << 12) - 1) // 7 + (beg >> 17)
    if beg >> 20 == end >> 20:
        return ((1 << 9) - 1) // 7 + (beg >> 20)
    if beg >> 23 == end >> 23:
        return ((1 << 6) - 1) // 7 + (beg >> 23)
    if beg >> 26 == end >> 26:
        return ((1 << 3) - 1) // 7 + (beg >> 26)
    return 0


def test_bins_follow_the_specification() -> None:
    rng = np.random.default_rng(3)
    beg = np.concatenate([rng.integers(0, 250_000_000, 5000), [0, 16383, 16384, 131071, 1 << 26, (1 << 26) - 1]])
    length = np.concatenate([rng.choice([1, 2, 50, 20_000, 200_000, 3_000_000, 70_000_000], 5000), [1] * 6])
    got = reg2bin(beg, beg + length)
    assert got.tolist() == [_reg2bin(int(b), int(b + n)) for b, n in zip(beg, length, strict=True)]


HEADER = """##fileformat=VCFv4.2
##contig=<ID=chr1,length=248956422>
##contig=<ID=chr2,length=242193529>
##FORMAT=<ID=GT,Number=1,Type=String,Description="g">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\tC\tD
"""


def _long_refs(folder: Path, bcftools: str) -> tuple[Path, Path]:
    """Deletions up to 70 kb (spanning 16 kb windows and 1 Mb grid cells), next to SNVs at window edges."""
    rng = random.Random(11)
    lines = []
    for chrom in ("chr1", "chr2"):
        pos = 10_000
        for _ in range(400):
            pos += rng.choice([1, 7, 3000, 16_384, 40_000])
            n = rng.choice([1, 1, 1, 2, 50, 20_000, 70_000])
            ref = "A" + "C" * (n - 1)
            gts = "\t".join(rng.choice(["0/0", "0/1", "1/1"]) for _ in range(4))
            lines.append(f"{chrom}\t{pos}\t.\t{ref}\tA{'G' if n == 1 else ''}\t50\tPASS\t.\tGT\t{gts}")
    plain = folder / "long.vcf"
    plain.write_text(HEADER + "\n".join(lines) + "\n")
    vcf = folder / "long.vcf.gz"
    subprocess.run([bcftools, "view", "-Oz", "-o", str(vcf), str(plain)], check=True)
    subprocess.run([bcftools, "index", "-t", str(vcf)], check=True)
    sheet = folder / "long.samples.tsv"
    sheet.write_text("sample_id\tsex\tcountry\nA\tmale\tFI\nB\tfemale\tFI\nC\tmale\tFI\nD\tfemale\tFI\n")
    return vcf, sheet


def _same_records(sites: Path, tmp: Path, contigs: dict[str, int], bcftools: str) -> int:
    """Every query through goe's index equals the query through htslib's; return records compared."""
    ref = tmp / "htslib" / "sites.vcf.gz"
    ref.parent.mkdir()
    shutil.copy(sites, ref)
    pysam.tabix_index(str(ref), preset="vcf", force=True)
    ours, theirs = pysam.TabixFile(str(sites)), pysam.TabixFile(str(ref))
    assert ours.contigs == theirs.contigs
    rng = random.Random(5)
    n = 0
    for contig, length in contigs.items():
        whole = list(ours.fetch(contig))
        assert whole == list(theirs.fetch(contig))
        n += len(whole)
        starts = [int(line.split("\t")[1]) for line in whole]
        for _ in range(150):
            s = rng.choice([rng.randrange(length), rng.choice(starts) - rng.choice([0, 1, 2, 16_384])])
            e = max(s, 0) + rng.choice([1, 2, 100, 16_384, 50_000, 1_000_000, 40_000_000])
            assert list(ours.fetch(contig, max(s, 0), e)) == list(theirs.fetch(contig, max(s, 0), e)), (contig, s, e)
    region = f"{next(iter(contigs))}:1-5000000"
    view = [bcftools, "view", "-H", "-r", region]
    assert subprocess.run([*view, str(sites)], capture_output=True, check=True).stdout == \
        subprocess.run([*view, str(ref)], capture_output=True, check=True).stdout
    assert read_index(sites.with_name(sites.name + ".tbi")).kind == "tbi"  # goe's own reader takes it too
    return n


@pytest.mark.parametrize("case", ["simulated", "long_refs"])
def test_own_index_finds_what_htslib_finds(case: str, tmp_path: Path, bcftools: str) -> None:
    if case == "simulated":
        sim = simulate(tmp_path / "in", SimSpec(seed=9, n_samples=40, n_autosome_sites=1500,
                                                autosome_span=9_000_000), bcftools)
        vcf, sheet = sim.vcf, sim.sheet
    else:
        (tmp_path / "in").mkdir()
        vcf, sheet = _long_refs(tmp_path / "in", bcftools)
    out = tmp_path / "pkg"
    result = CliRunner().invoke(app, ["freq", str(vcf), "--samples", str(sheet), "--out", str(out), "-j", "1",
                                      "--partition-size", "8K", "--quiet"])
    assert result.exit_code == 0, result.output
    lengths = dict(zip(pysam.TabixFile(str(out / "sites.vcf.gz")).contigs, [250_000_000] * 10, strict=False))
    assert _same_records(out / "sites.vcf.gz", tmp_path, lengths, bcftools) > 700


EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "cohort"


def test_merged_package_index_finds_what_htslib_finds(tmp_path: Path, bcftools: str) -> None:
    runner = CliRunner()
    for cc in ("FI", "GB"):
        result = runner.invoke(app, ["freq", str(EXAMPLES / "eur_chr20.vcf.gz"), "--samples",
                                     str(EXAMPLES / f"samples_{cc}.tsv"), "--out", str(tmp_path / cc),
                                     "--assembly", "GRCh37", "--quiet"])
        assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["merge", str(tmp_path / "FI"), str(tmp_path / "GB"), "--out", str(tmp_path / "eu"),
                                 "--quiet"])
    assert result.exit_code == 0, result.output
    assert _same_records(tmp_path / "eu" / "sites.vcf.gz", tmp_path, {"20": 63_025_520}, bcftools) > 10_000
