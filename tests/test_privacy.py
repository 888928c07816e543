"""Privacy: the small-count floor (goe.privacy.floor) and what a package may never contain."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pysam
import pytest
from cli_support import KG, PACKAGE_FILES, igsr_rows, run_goe

from goe.privacy.floor import withheld_rows

# ------------------------------------------------------------------ (a) withheld_rows


def _floor(ac: list[list[int]], an: list[list[int]], floor: int) -> list[list[bool]]:
    return withheld_rows(np.array(ac), np.array(an), floor).tolist()


def test_small_alt_count_withholds_all_but_total() -> None:
    # populations: Total, A, B; B has AC=2 < 5
    assert _floor([[12, 10, 2]], [[200, 100, 100]], 5) == [[False, True, True]]


def test_small_ref_count_withholds_all_but_total() -> None:
    # A: AN-AC = 3 < 5 (nearly everyone carries the allele)
    assert _floor([[150, 97, 53]], [[200, 100, 100]], 5) == [[False, True, True]]


def test_zero_counts_are_not_small() -> None:
    # AC=0 and AN-AC=0 reveal nothing below the floor; AN=0 (no calls) neither
    assert _floor([[50, 0, 50], [0, 0, 0], [0, 0, 0]], [[150, 100, 50], [200, 100, 100], [0, 0, 0]], 5) == [
        [False, False, False], [False, False, False], [False, False, False]]


def test_boundaries() -> None:
    ac = [[10, 5, 5], [10, 4, 6], [200, 95, 105], [200, 96, 104]]
    an = [[200, 100, 100]] * 4
    assert _floor(ac, an, 5) == [
        [False, False, False],  # AC = floor: published
        [False, True, True],    # AC = floor - 1
        [False, False, False],  # AN-AC = floor
        [False, True, True],    # AN-AC = floor - 1
    ]


def test_total_is_always_published_and_rows_are_independent() -> None:
    ac = np.array([[1, 1, 0, 0], [30, 10, 10, 10], [3, 0, 3, 0]])
    an = np.array([[60, 20, 20, 20]] * 3)
    out = withheld_rows(ac, an, 5)
    assert out.dtype == bool
    assert out.shape == ac.shape
    assert out.tolist() == [[False, True, True, True], [False, False, False, False], [False, True, True, True]]
    assert not out[:, 0].any()


def test_total_column_can_be_elsewhere() -> None:
    out = withheld_rows(np.array([[10, 2, 12]]), np.array([[100, 100, 200]]), 5, total_column=2)
    assert out.tolist() == [[True, True, False]]


@pytest.mark.parametrize("floor", [0, -1])
def test_floor_off(floor: int) -> None:
    ac = np.array([[2, 1, 1]])
    assert not withheld_rows(ac, np.array([[4, 2, 2]]), floor).any()


def test_empty_input() -> None:
    out = withheld_rows(np.zeros((0, 9), dtype=np.int64), np.zeros((0, 9), dtype=np.int64), 5)
    assert out.shape == (0, 9)


# ------------------------------------------------------------------ (b, c) end to end

VCF = KG / "hail_sample2.vcf.gz"
KEY = ["chrom", "pos", "ref", "alt"]


def _sheet(dest: Path) -> tuple[Path, set[str]]:
    """sample_id differs from vcf_sample_id, so both kinds of ID can be looked for."""
    rows = igsr_rows(KG / "hail_sample2.samples.tsv")
    country = {"FIN": "FI", "GBR": "GB"}
    lines = ["sample_id\tsex\tcountry\tvcf_sample_id"]
    ids: set[str] = set()
    for n, r in enumerate(rows):
        sid = f"GOEP{n:05d}"
        lines.append(f"{sid}\t{r['sex']}\t{country[r['population']]}\t{r['vcf_sample_id']}")
        ids |= {sid, r["vcf_sample_id"], r["sample_id"]}
    dest.write_text("\n".join(lines) + "\n")
    return dest, ids


@dataclass(frozen=True)
class Packages:
    """The same cohort packaged without (0) and with (5) the small-count floor, and every sample ID."""

    by_floor: dict[int, Path]
    ids: set[str]

    def __getitem__(self, floor: int) -> Path:
        return self.by_floor[floor]


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Packages:
    tmp = tmp_path_factory.mktemp("privacy")
    sheet, ids = _sheet(tmp / "sheet.tsv")
    out = Packages({}, ids)
    for floor in (0, 5):
        pkg = tmp / f"floor{floor}"
        result = run_goe(["freq", VCF, "--samples", sheet, "--out", pkg, "-q", "-j", "1",
                          "--min-allele-count", str(floor)])
        assert result.exit_code == 0, result.output
        assert {p.name for p in pkg.iterdir()} == PACKAGE_FILES
        out.by_floor[floor] = pkg
    return out


def _allele_rows(pkg: Path) -> pl.DataFrame:
    return pl.read_parquet(pkg / "frequencies.parquet")


def test_floor_keeps_only_total_where_a_population_is_small(packages: Packages) -> None:
    full, floored = _allele_rows(packages[0]), _allele_rows(packages[5])
    rest = full.filter(pl.col("population") != "Total")
    small = rest.filter(((pl.col("ac") > 0) & (pl.col("ac") < 5))
                        | ((pl.col("an") - pl.col("ac") > 0) & (pl.col("an") - pl.col("ac") < 5)))
    expect_hidden = small.select(KEY).unique()
    per_allele = floored.group_by(KEY).agg(pl.col("population").alias("pops"))
    hidden = per_allele.filter(pl.col("pops").list.len() == 1).select(KEY)
    assert hidden.height > 0, "test data should have alleles with small populations"
    assert hidden.sort(KEY).equals(expect_hidden.sort(KEY))
    # those keep their Total row only; every other allele keeps every population
    assert per_allele.filter(pl.col("pops").list.len() == 1)["pops"].list.first().unique().to_list() == ["Total"]
    n_pops = full["population"].n_unique()
    assert set(per_allele["pops"].list.len().unique().to_list()) == {1, n_pops}
    # Total rows are the same with or without the floor
    totals = [f.filter(pl.col("population") == "Total").sort(KEY) for f in (full, floored)]
    assert totals[0].equals(totals[1])
    # published rows never hold a small count
    pub = floored.filter(pl.col("population") != "Total")
    assert pub.filter(((pl.col("ac") > 0) & (pl.col("ac") < 5))
                      | ((pl.col("an") - pl.col("ac") > 0) & (pl.col("an") - pl.col("ac") < 5))).height == 0


def test_manifest_counts_the_withheld_rows(packages: Packages) -> None:
    full, floored = _allele_rows(packages[0]), _allele_rows(packages[5])
    m5 = json.loads((packages[5] / "manifest.json").read_text())
    m0 = json.loads((packages[0] / "manifest.json").read_text())
    assert m5["counts"]["population_rows_withheld"] == full.height - floored.height > 0
    n_hidden = floored.group_by(KEY).len().filter(pl.col("len") == 1).height
    assert m5["counts"]["alleles_with_withheld_rows"] == n_hidden
    assert m5["parameters"]["min_allele_count"] == 5
    assert m0["counts"]["population_rows_withheld"] == 0
    assert m0["parameters"]["min_allele_count"] == 0


def test_sites_vcf_omits_withheld_populations(packages: Packages) -> None:
    floored = _allele_rows(packages[5])
    pops = floored.group_by(KEY).agg(pl.col("population"))
    hidden = {(r["chrom"], r["pos"], r["ref"], r["alt"]) for r in pops.iter_rows(named=True)
              if r["population"] == ["Total"]}
    total_keys = {"AC", "AN", "AF", "AC_Hom", "AC_Het", "AC_Hemi", "NS", "F_MISSING", "HWE"}
    seen_hidden = 0
    with pysam.VariantFile(str(packages[5] / "sites.vcf.gz")) as vcf:
        for rec in vcf:
            alts = rec.alts or ()
            assert len(alts) == 1
            keys = set(rec.info.keys())
            if (rec.chrom, rec.pos, rec.ref, alts[0]) in hidden:
                seen_hidden += 1
                assert keys == total_keys, (rec.pos, sorted(keys - total_keys))
            else:
                assert {"AC_FI", "AN_FI_M", "AF_GB_F", "AC_M_Het"} <= keys
    assert seen_hidden == len(hidden) > 0


def test_no_sample_id_or_genotype_in_the_package(packages: Packages) -> None:
    ids = packages.ids
    assert len(ids) >= 100
    for floor in (0, 5):
        pkg = packages[floor]
        sites = gzip.decompress((pkg / "sites.vcf.gz").read_bytes()).decode()
        manifest = (pkg / "manifest.json").read_text()
        frame = pl.read_parquet(pkg / "frequencies.parquet")
        cells = "\n".join(
            "\t".join(map(str, frame[c].unique().to_list())) for c in frame.columns
        ) + "\n" + "\t".join(frame.columns)
        raw_parquet = (pkg / "frequencies.parquet").read_bytes()
        for sid in ids:
            assert sid not in sites, sid
            assert sid not in manifest, sid
            assert sid not in cells, sid
            assert sid.encode() not in raw_parquet, sid
        # sites only: 8 columns, no FORMAT header, no genotype column
        assert "##FORMAT" not in sites
        header = next(ln for ln in sites.splitlines() if ln.startswith("#CHROM"))
        assert header.split("\t") == ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]
        body = [ln for ln in sites.splitlines() if not ln.startswith("#")]
        assert body
        assert all(ln.count("\t") == 7 for ln in body)
        with pysam.VariantFile(str(pkg / "sites.vcf.gz")) as vcf:
            assert list(vcf.header.samples) == []
            assert list(vcf.header.formats) == []
