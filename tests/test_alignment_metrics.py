"""BAM/CRAM metrics computed by goe agree with samtools on a real BAM written with pysam."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pysam
import pytest

from goe.errors import InputError
from goe.qc.seqmetrics.alignment import alignment_metrics

CONTIGS = (("1", 20_000), ("2", 12_000), ("X", 8_000))


def _write_bam(path: Path, seed: int = 7) -> dict[str, float]:
    """Paired reads with known unmapped, duplicate, low-MAPQ and improper fractions; returns the truth."""
    rng = np.random.default_rng(seed)
    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": n, "LN": ln} for n, ln in CONTIGS]}
    reads = []
    truth = {"pairs": 0, "inserts": []}
    for tid, (_name, length) in enumerate(CONTIGS):
        for k in range(length // 30):
            insert = int(rng.integers(250, 450))
            start = int(rng.integers(0, length - insert))
            flag_extra = 0x400 if rng.random() < 0.1 else 0
            mapq = 10 if rng.random() < 0.1 else 60
            proper = rng.random() > 0.05
            unmapped_mate = rng.random() < 0.03
            name = f"r{tid}_{k}"
            r1 = pysam.AlignedSegment()
            r1.query_name, r1.query_sequence = name, "A" * 100
            pair_flags = (0x2 if proper and not unmapped_mate else 0) | (0x8 if unmapped_mate else 0)
            r1.flag = 0x1 | 0x40 | pair_flags | flag_extra
            r1.reference_id, r1.reference_start, r1.mapping_quality = tid, start, mapq
            r1.cigarstring = "100M"
            r1.next_reference_id = tid
            r1.next_reference_start = start + insert - 100
            r1.template_length = 0 if unmapped_mate else insert
            r1.query_qualities = pysam.qualitystring_to_array("I" * 100)
            r2 = pysam.AlignedSegment()
            r2.query_name, r2.query_sequence = name, "A" * 100
            r2.query_qualities = pysam.qualitystring_to_array("I" * 100)
            if unmapped_mate:
                r2.flag = 0x1 | 0x80 | 0x4
                r2.reference_id, r2.reference_start = tid, start
                r2.next_reference_id, r2.next_reference_start = tid, start
            else:
                r2.flag = 0x1 | 0x80 | 0x10 | (0x2 if proper else 0) | flag_extra
                r2.reference_id, r2.reference_start, r2.mapping_quality = tid, start + insert - 100, mapq
                r2.cigarstring = "50M2D50M"
                r2.next_reference_id, r2.next_reference_start = tid, start
                r2.template_length = -insert
            reads += [r1, r2]
            if proper and not unmapped_mate and not flag_extra:
                truth["inserts"].append(insert)
    reads.sort(key=lambda r: (r.reference_id, r.reference_start))
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        for r in reads:
            out.write(r)
    pysam.index(str(path))
    inserts = truth["inserts"]
    return {"median_insert_size": float(np.median(inserts)), "mean_insert_size": float(np.mean(inserts))}


@pytest.fixture(scope="module")
def bam(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, float]]:
    path = tmp_path_factory.mktemp("bam") / "S1.bam"
    return path, _write_bam(path)


def _samtools_stats(samtools: str, bam: Path) -> dict[str, float]:
    out = subprocess.run([samtools, "stats", str(bam)], capture_output=True, text=True, check=True).stdout
    sn = {}
    for line in out.splitlines():
        if line.startswith("SN\t"):
            key, value = line.split("\t")[1:3]
            sn[key.rstrip(":")] = float(value)
    return sn


def test_read_level_metrics_equal_samtools_stats(bam: tuple[Path, dict[str, float]], samtools: str) -> None:
    path, truth = bam
    got = alignment_metrics(path)
    sn = _samtools_stats(samtools, path)
    assert got["total_reads"] == sn["raw total sequences"]
    assert got["pct_mapped"] == pytest.approx(sn["reads mapped"] / sn["raw total sequences"], abs=1e-12)
    proper = sn["reads properly paired"] / sn["raw total sequences"]
    assert got["pct_properly_paired"] == pytest.approx(proper, abs=1e-12)
    assert got["pct_duplicates"] == pytest.approx(sn["reads duplicated"] / sn["reads mapped"], abs=1e-12)
    assert got["median_insert_size"] == truth["median_insert_size"]
    assert got["mean_insert_size"] == pytest.approx(truth["mean_insert_size"])


def test_coverage_equals_samtools_depth(bam: tuple[Path, dict[str, float]], samtools: str) -> None:
    path, _ = bam
    got = alignment_metrics(path)
    depth = []
    for name, _length in CONTIGS[:2]:  # autosomes only
        out = subprocess.run([samtools, "depth", "-a", "-Q", "20", "-r", name, str(path)],
                             capture_output=True, text=True, check=True).stdout
        depth += [int(line.split("\t")[2]) for line in out.splitlines()]
    d = np.array(depth)
    assert len(d) == sum(length for _n, length in CONTIGS[:2])
    assert got["mean_autosome_coverage"] == pytest.approx(d.mean(), rel=1e-12)
    for x in (15, 20, 30):
        assert got[f"pct_autosomes_{x}x"] == pytest.approx((d >= x).mean(), rel=1e-12)


def test_cram_needs_reference(tmp_path: Path) -> None:
    cram = tmp_path / "S1.cram"
    cram.write_bytes(b"CRAM")
    with pytest.raises(InputError, match=r"a CRAM needs its reference; give it with --reference FASTA"):
        alignment_metrics(cram)


def test_missing_and_corrupt_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="alignment file not found"):
        alignment_metrics(tmp_path / "nope.bam")
    bad = tmp_path / "bad.bam"
    bad.write_bytes(b"not a bam at all")
    with pytest.raises(InputError, match="cannot read as BAM/CRAM"):
        alignment_metrics(bad)
