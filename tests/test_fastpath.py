"""goe's C hot paths against their references.

- the VCF text decoder (goe.vcf.fastread) against the cyvcf2 reader, batch for batch and
  field for field, on every test VCF, with TBI and CSI indexes, sample subsets, many regions,
  and a file of odd records; and the htslib fallback from the record where it stops;
- the C counting, HWE and sites-VCF formatting against the Python definitions;
- a whole package with the fast path equals the one read by cyvcf2 (GOE_READER=htslib).
"""

from __future__ import annotations

import hashlib
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import KG, REQUIRE_TOOLS
from helpers.simulate import SimCohort, SimSpec, simulate
from typer.testing import CliRunner

from goe.cli.main import app
from goe.freq import counting, output
from goe.freq.counting import AlleleCounts, count_alleles
from goe.freq.genotypes import GenotypeMask, apply_mask
from goe.freq.hwe import hwe_exact, hwe_pvalues
from goe.freq.output import AlleleRows, vcf_lines, vcf_text
from goe.guidelines.profile import Check
from goe.vcf import fastread
from goe.vcf.index import read_index
from goe.vcf.partition import Region, plan_regions
from goe.vcf.reader import RecordBatch, _header_for_fast, _iter_htslib, inspect_vcf, iter_batches

FIELDS = ("pos", "qual", "gt", "gq", "dp", "ad", "ad_ref")


def test_native_modules_are_built() -> None:
    """CI must test the fast path, not silently the fallback."""
    from goe.freq import hwe

    built = fastread._textvcf is not None and output._fastfreq is not None and hwe._fastfreq is not None
    if not built:
        if REQUIRE_TOOLS:
            pytest.fail("GOE_REQUIRE_TOOLS=1 but goe's C extensions are not built (is a C compiler installed?)")
        pytest.skip("goe's C extensions are not built")


def _plan(path: Path, part_bytes: int) -> list[Region]:
    info = inspect_vcf(path)
    idx = read_index(info.index)
    return plan_regions(idx, list(info.contigs), set(info.contigs), path.stat().st_size, part_bytes)


def _compare(path: Path, samples: list[str], keys: list[str], want: frozenset[str], part_bytes: int) -> int:
    """Compare the fast decoder with cyvcf2 over every planned region; return records compared."""
    n_records = 0
    all_samples, floats = _header_for_fast(path, tuple(keys))
    regions = _plan(path, part_bytes)
    assert regions
    for region in regions:
        assert fastread.usable(path, region), region
        fast = list(fastread.iter_batches_fast(path, region, all_samples, samples, keys, floats, want, 97))
        slow = list(_iter_htslib(path, region, samples, keys, want, 97))
        assert [n for _, n in fast] == [len(b) for b in slow], region
        for (f, _), b in zip(fast, slow, strict=True):
            n_records += len(b)
            for name in FIELDS:
                got, expected = f[name], getattr(b, name)
                if got is None or expected is None:
                    assert got is None, name
                    assert expected is None, name
                    continue
                assert got.dtype == expected.dtype, name
                assert np.array_equal(got, expected, equal_nan=got.dtype.kind == "f"), (region, name)
            for name in ("ids", "refs", "alts", "filters"):
                assert f[name] == getattr(b, name), (region, name)
            for i, key in enumerate(keys):
                assert np.array_equal(f["info"][:, i], b.info[key], equal_nan=True), (region, key)
    return n_records


def _numeric_info(path: Path) -> list[str]:
    return [k for k, t in inspect_vcf(path).info_fields.items() if t in ("Integer", "Float")][:8]


def _want(path: Path) -> frozenset[str]:
    fmt = inspect_vcf(path).format_fields
    out = {f for f in ("GQ", "DP", "AD") if f in fmt}
    if "AD" in fmt:
        out.add("AD_REF")
    return frozenset(out)


@pytest.mark.parametrize(
    "name",
    ["hail_sample.vcf.gz", "hail_sample2.vcf.gz", "1kg_2020_chrM.vcf.gz", "nygc2020_chr22_grch38.vcf.gz",
     "eur300_chr20.vcf.gz", "phase3_1126_allchr.vcf.gz"],
)
def test_decoder_equals_cyvcf2_on_real_vcfs(name: str) -> None:
    path = KG / name
    samples = list(inspect_vcf(path).samples)
    keys = _numeric_info(path)
    n = _compare(path, samples, keys, _want(path), 64 << 10)
    assert n > 0
    # every other sample (the decoder skips the rest of a line after the last wanted column)
    assert _compare(path, samples[::2], keys, _want(path), 16 << 20) == n


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory, bcftools: str) -> SimCohort:
    spec = SimSpec(seed=5, n_samples=50, n_autosome_sites=900, autosome_span=6_000_000, het_male_haploid=0.01,
                   reversed_half_male=0.01)
    return simulate(tmp_path_factory.mktemp("sim"), spec, bcftools)


@pytest.fixture(scope="module")
def cohort(sim: SimCohort) -> Path:
    return sim.vcf


@pytest.mark.parametrize("index", ["tbi", "csi"])
def test_decoder_equals_cyvcf2_on_simulated_cohort(cohort: Path, tmp_path: Path, bcftools: str, index: str) -> None:
    """GT:DP:GQ:AD with haploid X/Y/MT, half-missing and 1/2 calls, '.' values; both index kinds."""
    path = tmp_path / cohort.name
    path.write_bytes(cohort.read_bytes())
    subprocess.run([bcftools, "index", "-f", "-t" if index == "tbi" else "-c", str(path)], check=True)
    samples = list(inspect_vcf(path).samples)
    n = _compare(path, samples, _numeric_info(path), _want(path), 32 << 10)
    assert n > 1000
    assert len(_plan(path, 32 << 10)) > 5


ODD_HEADER = """##fileformat=VCFv4.2
##contig=<ID=chr1,length=248956422>
##INFO=<ID=DP,Number=1,Type=Integer,Description="d">
##INFO=<ID=QD,Number=1,Type=Float,Description="q">
##INFO=<ID=FL,Number=0,Type=Flag,Description="f">
##INFO=<ID=AF,Number=A,Type=Float,Description="a">
##FILTER=<ID=q10,Description="q">
##FILTER=<ID=s50,Description="s">
##FORMAT=<ID=GT,Number=1,Type=String,Description="g">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="a">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="d">
##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="q">
##FORMAT=<ID=PL,Number=G,Type=Integer,Description="p">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2\tS3\tS4
"""

ODD_RECORDS = [
    # missing values, short sample fields, a lone '.', haploid and half-missing calls
    "chr1\t100\trs1\tA\tG\t50.3\tPASS\tDP=10;QD=2.7;FL\tGT:AD:DP:GQ\t0/1:5,5:10:99\t./.\t.\t0/.:.:.:.",
    "chr1\t200\t.\tAC\tA,ACC\t.\tq10;s50\tQD=.;AF=0.1,0.2\tGT:AD:DP:GQ:PL\t1/2:0,3,4:7:20:1,2,3,4,5,6\t2|2:0,0,9\t0\t1",
    # AD shorter than the alleles, and a GT allele past every sample's AD (cyvcf2 clips it)
    "chr1\t300\t.\tG\tT,C\t12\t.\tDP=3\tGT:AD:DP:GQ\t0/2:3,1:4:10\t2/2:1:1:3\t0/1:2,2,0:4:9\t./1:.,1:1:1",
    # GT not first, and fields in another order
    "chr1\t400\t.\tT\tC\t99\tPASS\t.\tGQ:DP:AD:GT\t50:20:10,10:0/1\t30:12:12,0:0/0\t.:.:.:./.\t9:3:0,3:1/1",
    # multi-digit alleles, phased (polyploid calls are refused: tests/test_odd_inputs.py)
    "chr1\t500\t.\tC\tA,G,T,CA,CG,CT,CAA,CAG,CAT,CCA,CCC\t30\tPASS\tDP=1\tGT:AD\t0/1:1,2\t10|11:0,0,0,0,0,0,0,0,0,0,4,5"
    "\t.|.:.\t11/0:7,0,0,0,0,0,0,0,0,0,0,2",
    # no ALT allele
    "chr1\t600\t.\tA\t.\t.\tPASS\tDP=0\tGT:AD\t0/0:3\t0/0:2\t0:1\t./.:.",
]


def _bgzip_indexed(bcftools: str, plain: Path, header: str, records: list[str]) -> Path:
    """``plain`` written from ``header`` and ``records``, then bgzipped and tabix-indexed by bcftools."""
    plain.write_text(header + "\n".join(records) + "\n")
    out = plain.with_suffix(".vcf.gz")
    subprocess.run([bcftools, "view", "-Oz", "-o", str(out), str(plain)], check=True)
    subprocess.run([bcftools, "index", "-t", str(out)], check=True)
    return out


@pytest.fixture(scope="module")
def odd_vcf(tmp_path_factory: pytest.TempPathFactory, bcftools: str) -> Path:
    return _bgzip_indexed(bcftools, tmp_path_factory.mktemp("odd") / "odd.vcf", ODD_HEADER, ODD_RECORDS)


@pytest.mark.parametrize("subset", [None, ["S2", "S4"], ["S1"]])
def test_decoder_equals_cyvcf2_on_odd_records(odd_vcf: Path, subset: list[str] | None) -> None:
    samples = subset or list(inspect_vcf(odd_vcf).samples)
    want = frozenset({"GQ", "DP", "AD", "AD_REF"})
    assert _compare(odd_vcf, samples, ["DP", "QD", "AF", "FL"], want, 16 << 20) == len(ODD_RECORDS)


# GT-only calls: the decoder reads "d/d" and "d|d" four bytes at a time and everything else
# (missing, haploid, half-missing, multi-digit) the general way, then resumes.
GT_TOKENS = ["0/0", "0/1", "1|0", "1/1", "2|2", "./.", ".", "0", "1", "0/.", "./1", "10/2", "1|12", ".|."]


@pytest.fixture(scope="module")
def gt_only_vcf(tmp_path_factory: pytest.TempPathFactory, bcftools: str) -> Path:
    rng = np.random.default_rng(11)
    n = 37
    header = ODD_HEADER.split("##INFO")[0] + '##FORMAT=<ID=GT,Number=1,Type=String,Description="g">\n'
    header += "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join(f"S{i}" for i in range(n)) + "\n"
    alts = ",".join(["C", "G", "T", *[f"A{'C' * k}" for k in range(1, 11)]])
    lines = []
    for r in range(300):
        # runs of the usual 0/0 broken by every other kind of call, at random places (the last column too)
        odd = rng.random(n) < rng.choice([0.0, 0.05, 0.3, 1.0])
        calls = [str(rng.choice(GT_TOKENS)) if o else "0/0" for o in odd]
        lines.append(f"chr1\t{100 + r}\t.\tA\t{alts}\t50\tPASS\t.\tGT\t" + "\t".join(calls))
    return _bgzip_indexed(bcftools, tmp_path_factory.mktemp("gtonly") / "gt.vcf", header, lines)


@pytest.mark.parametrize("subset", ["all", "every_other", "last_only", "first_three"])
def test_decoder_equals_cyvcf2_on_gt_only_calls_of_every_kind(gt_only_vcf: Path, subset: str) -> None:
    samples = list(inspect_vcf(gt_only_vcf).samples)
    chosen = {"all": samples, "every_other": samples[1::2], "last_only": samples[-1:], "first_three": samples[:3]}
    assert _compare(gt_only_vcf, chosen[subset], [], frozenset(), 16 << 20) == 300


MASKS = [
    # the 1+MG draft: GQ >= 20, DP >= 10, AB between 0.2 and 0.8 on heterozygous calls
    {"gq": (">=", 20), "dp": (">=", 10), "ab": ("between", (0.2, 0.8))},
    # every other operator, one or two checks at a time
    {"gq": (">", 30), "ab": ("between", (0.25, 0.75))},
    {"dp": ("<=", 40)},
    {"gq": ("!=", 99), "dp": ("<", 35)},
    {"ab": (">=", 0.3)},
    {"dp": ("==", 12), "gq": ("<=", 60)},
    # thresholds between integers (GQ and DP are integers: the decoder turns checks into ranges)
    {"gq": (">", 29.5), "dp": ("between", (9.5, 30.2))},
    {"gq": ("<", 60.5), "dp": ("!=", 12.5)},
    {"gq": ("==", 20.5), "dp": (">=", 10.01)},
    {"gq": ("!=", 50), "dp": ("<=", 31.9)},
]


def _mask(spec: dict) -> GenotypeMask:
    metric = {"gq": "FORMAT/GQ", "dp": "FORMAT/DP", "ab": "FORMAT/AB"}
    return GenotypeMask(**{k: Check(f"g_{k}", "genotype", metric[k], op, t, "mask", "test")
                           for k, (op, t) in spec.items()})


def _compare_mask(path: Path, mask: GenotypeMask, part_bytes: int) -> int:
    """Batches masked by the decoder against cyvcf2's arrays masked by apply_mask; return genotypes masked."""
    samples = list(inspect_vcf(path).samples)
    all_samples, floats = _header_for_fast(path, ())
    want = mask.fields()
    spec = mask.decoder_spec()
    assert spec is not None
    total = 0
    for region in _plan(path, part_bytes):
        fast = list(fastread.iter_batches_fast(path, region, all_samples, samples, [], floats, frozenset(), 97, spec))
        slow = list(_iter_htslib(path, region, samples, [], want, 97))
        assert len(fast) == len(slow)
        for (f, _), b in zip(fast, slow, strict=True):
            expected: Counter[str] = Counter()
            apply_mask(b, mask, expected)
            assert [f[k] for k in ("gq", "dp", "ad")] == [None, None, None]  # never built
            got: Counter[str] = Counter()
            fb = RecordBatch(region.contig, f["pos"], [], [], [], f["qual"], [], {}, f["gt"], None, None, None,
                             masked=f["masked"])
            apply_mask(fb, mask, got)
            assert np.array_equal(f["gt"], b.gt), region
            assert got == expected, region
            total += expected["genotypes_masked"]
    return total


@pytest.mark.parametrize("spec", MASKS)
def test_decoder_mask_equals_apply_mask(spec: dict, cohort: Path, odd_vcf: Path) -> None:
    mask = _mask(spec)
    masked = 0
    for path in (KG / "hail_sample.vcf.gz", KG / "nygc2020_chr22_grch38.vcf.gz", cohort, odd_vcf):
        masked += _compare_mask(path, mask, 64 << 10)
    assert masked > 100  # the checks bite


def _batches(path: Path, region: Region, samples: list[str]) -> Iterator[RecordBatch]:
    return iter_batches(path, region, samples, ["DP", "QD"], frozenset({"GQ", "DP", "AD"}), 2)


def test_fallback_continues_from_the_record_where_the_decoder_stopped(
    odd_vcf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the C decoder gives up after some batches, htslib reads the rest: nothing lost or doubled."""
    region = _plan(odd_vcf, 16 << 20)[0]
    samples = list(inspect_vcf(odd_vcf).samples)
    expected = list(_iter_htslib(odd_vcf, region, samples, ["DP", "QD"], frozenset({"GQ", "DP", "AD"}), 2))
    real = fastread.iter_batches_fast

    def gives_up_after_two_batches(*args: object, **kwargs: object) -> Iterator[tuple[dict, int]]:
        for i, item in enumerate(real(*args, **kwargs)):  # type: ignore[arg-type]
            if i == 2:
                raise fastread.FastPathError("stops here")
            yield item

    monkeypatch.setattr(fastread, "iter_batches_fast", gives_up_after_two_batches)
    got = list(_batches(odd_vcf, region, samples))
    assert [b.pos.tolist() for b in got] == [b.pos.tolist() for b in expected]
    assert sum(len(b) for b in got) == len(ODD_RECORDS)
    assert all(np.array_equal(g.gt, e.gt) and np.array_equal(g.ad, e.ad) for g, e in zip(got, expected, strict=True))


def test_htslib_reader_when_asked_or_without_an_offset(odd_vcf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    region = _plan(odd_vcf, 16 << 20)[0]
    assert fastread.usable(odd_vcf, region)
    assert not fastread.usable(odd_vcf, Region(region.contig, region.start, region.end, 0, 0, None))
    bcf = odd_vcf.with_name("odd_copy.vcf.gz")  # BCF with a VCF's name: the first bytes decide
    subprocess.run(["bcftools", "view", "-Ob", "-o", str(bcf.with_suffix(".bcf")), str(odd_vcf)], check=True)
    bcf.with_suffix(".bcf").rename(bcf)
    assert not fastread.usable(bcf, region)
    monkeypatch.setenv("GOE_READER", "htslib")
    assert not fastread.usable(odd_vcf, region)


def test_index_offsets_point_at_or_before_each_regions_first_record(cohort: Path) -> None:
    """Every planned region's virtual offset, read from there, reaches the region's first record."""
    one = list(inspect_vcf(cohort).samples[:1])
    for region in _plan(cohort, 16 << 10):
        assert region.voff is not None
        first = next(iter(_iter_htslib(cohort, region, one, [], frozenset(), 1)), None)
        fast = next(iter(_batches(cohort, region, one)), None)
        assert (first is None) == (fast is None)
        if first is not None and fast is not None:
            assert fast.pos[0] == first.pos[0]


# ---------------------------------------------------------------- C counting, HWE, formatting


def _random_batch(rng: np.random.Generator, n_rec: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    gt = rng.choice([-2, -1, 0, 0, 0, 1, 1, 2, 3], size=(n_rec, n, 2)).astype(np.int16)
    gt[..., 0][gt[..., 0] == -2] = -1  # the first allele is never absent
    ploidy = rng.choice([0, 1, 2, 2, 2], size=(n_rec, n)).astype(np.int8)
    rows = [(r, k) for r in range(n_rec) for k in range(1, int(rng.integers(1, 4)) + 1)]
    return gt, ploidy, np.array(rows, dtype=np.int64)


def test_c_counting_equals_matrix_products(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    gt, ploidy, rows = _random_batch(rng, 60, 45)
    groups = (rng.random((45, 7)) < 0.4).astype(np.float32)
    groups[:, 0] = 1.0
    fast = count_alleles(gt, ploidy, rows[:, 0], rows[:, 1], groups)
    monkeypatch.setattr(counting, "_fastfreq", None)
    slow = count_alleles(gt, ploidy, rows[:, 0], rows[:, 1], groups)
    for name in ("ac", "an", "ac_hom", "ac_het", "ac_hemi", "ns", "n_expected"):
        assert np.array_equal(getattr(fast, name), getattr(slow, name)), name
    assert np.allclose(fast.hwe, slow.hwe, rtol=1e-12, atol=0)


def test_c_hwe_equals_python_recurrence() -> None:
    triples = [(a, b, h) for a in (1, 2, 5, 40, 199, 1500) for b in (1, 3, 64, 65, 700) for h in range(0, 70, 3)]
    triples += [(0, 10, 0), (10, 0, 0), (3, 4, 1), (1999, 1, 1), (1000, 1000, 500), (1000, 1000, 2)]
    # large cohorts, where the C test stops each tail early: near the mode, in the tails, far out
    triples += [(20000, 20000, h) for h in (10000, 9900, 10150, 9400, 10800, 6000, 14000)]
    triples += [(30001, 9999, h) for h in (7499, 7101, 7901, 5001, 9999)]
    nref, nalt, nhet = (np.array(x, dtype=np.int64) for x in zip(*triples, strict=True))
    got = hwe_pvalues(nref, nalt, nhet)
    for (a, b, h), p in zip(triples, got, strict=True):
        assert p == pytest.approx(hwe_exact(a, b, h), rel=1e-11, abs=1e-300), (a, b, h)


@pytest.mark.parametrize("n_groups", [5, 64, 65, 150])  # 21 countries make 66 populations
def test_c_sites_lines_equal_python_formatting(n_groups: int) -> None:
    rng = np.random.default_rng(3)
    n_rows = 300
    an = rng.integers(0, 30000, size=(n_rows, n_groups))
    an[rng.random(an.shape) < 0.1] = 0
    ac = (an * rng.random(an.shape) ** 3).astype(np.int64)
    ac[:, 1] = an[:, 1]  # AF = 1
    hom = ac // 3
    counts = AlleleCounts(
        ac=ac, an=an, ac_hom=hom, ac_het=ac - hom, ac_hemi=np.zeros_like(ac), ns=an // 2,
        n_expected=an // 2 + rng.integers(0, 5, size=an.shape), hwe=rng.choice([1.0, 0.5, 1e-7, 3e-300], an.shape),
    )
    qual = rng.choice([np.nan, 30.0, 12.345678, 1e7, 0.1], n_rows)
    rows = AlleleRows(
        "chr7", np.sort(rng.integers(1, 10**8, n_rows)), [f"rs{i}" if i % 3 else "." for i in range(n_rows)],
        ["A"] * n_rows, ["ACGT"[i % 4] * (1 + i % 3) for i in range(n_rows)], qual,
        ["PASS" if i % 4 else "LowQual;HWE" for i in range(n_rows)], counts, rng.random((n_rows, n_groups)) < 0.2,
    )
    rows.withheld[0, :] = True  # every population withheld: INFO is '.'
    keys = [[(k, f"{k.upper()}_g{g}") for k in output._STAT_ORDER] for g in range(n_groups)]
    text, ends = vcf_text(rows, keys)
    lines = vcf_lines(rows, keys)
    assert text == "".join(lines).encode()
    assert ends.tolist() == np.cumsum([len(x) for x in lines]).tolist()


def _digest(folder: Path) -> dict[str, str]:
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(folder.iterdir())}


def test_package_identical_with_htslib_reader(sim: SimCohort, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """goe freq gives the same bytes whether the C decoder or cyvcf2 reads the cohort."""
    cohort, sheet = sim.vcf, sim.sheet
    digests = []
    for reader_name in ("fast", "htslib"):
        run = tmp_path / reader_name
        run.mkdir()
        monkeypatch.chdir(run)
        if reader_name == "htslib":
            monkeypatch.setenv("GOE_READER", "htslib")
        res = CliRunner().invoke(app, ["freq", str(cohort), "--samples", str(sheet), "--out", "pkg", "--quiet",
                                       "--partition-size", "64K", "-j", "1"])
        assert res.exit_code == 0, res.output
        digests.append(_digest(run / "pkg"))
    assert digests[0] == digests[1]
