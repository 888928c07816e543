"""`goe qc` numbers against the reference tools, on real 1000 Genomes files and the simulated cohort.

(a) Per-sample counts equal ``bcftools stats -s -`` (PSC through samples.tsv, PSI
through the library's counters), mean depth within bcftools' rounding. (b) KING-robust
kinship equals ``plink2 --make-king-table`` on the SNVs goe used. (c) On the 1,126
phase 3 samples: the pedigree's first-degree pairs, and inferred sex = reported sex.
"""

from __future__ import annotations

import csv
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from cli_support import KG, POP_COUNTRY, igsr_rows
from qc_sim import cached_cohort

import goe.qc.run as qc_run
from goe.qc.kinship import king_robust
from goe.qc.run import QcOptions, run_qc
from goe.qc.worker import QcPart

PSC = ("n_ref_hom", "n_non_ref_hom", "n_hets", "n_transitions", "n_transversions", "n_indels", "average_depth",
       "n_singletons", "n_hap_ref", "n_hap_alt", "n_missing")
PSI = ("n_ins_hets", "n_del_hets", "n_ins_alt_homs", "n_del_alt_homs")
KIN_TOLERANCE = 0.02
SECOND_DEGREE, FIRST_DEGREE = 0.0884, 0.177  # KING (Manichaikul et al. 2010), written down again here
REAL = {  # name -> assembly
    "hail_sample": "GRCh37", "hail_sample2": "GRCh37", "phase3_1126_allchr": "GRCh37",
    "nygc2020_chr22_grch38": "GRCh38",
}


@dataclass
class Run:
    """One goe qc run, with the partitions' raw results."""

    vcf: Path
    out: Path
    samples: pl.DataFrame
    relatedness: pl.DataFrame
    parts: list[QcPart]

    def counter(self, name: str) -> np.ndarray:
        return np.sum([p.stats.counts[name] for p in self.parts], axis=0)

    def kin_sites(self) -> list[tuple[str, int, str, str]]:
        return [s for p in self.parts for s in p.kin_sites]


def column_sheet(dest: Path, samples_tsv: Path) -> Path:
    """A sheet whose sample_id is the VCF column (hail_sample repeats people under several columns)."""
    rows = [f"{r['vcf_sample_id']}\t{r['sex']}\t{POP_COUNTRY[r['population']]}" for r in igsr_rows(samples_tsv)]
    dest.write_text("sample_id\tsex\tcountry\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return dest


def read_tsv(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, separator="\t", null_values="NA", infer_schema_length=None)


def run_goe_qc(vcf: Path, sheet: Path, out: Path, assembly: str, workers: int = 2) -> Run:
    """run_qc as the CLI calls it, keeping the partitions (run_partitions is wrapped, not replaced)."""
    parts: list[QcPart] = []
    real = qc_run.run_partitions

    def keep(*args: object, **kwargs: object) -> list[QcPart]:
        done = real(*args, **kwargs)  # type: ignore[arg-type]
        parts.extend(done)
        return done

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(qc_run, "run_partitions", keep)
        run_qc(QcOptions(vcf=vcf, samples=sheet, out=out, assembly=assembly, workers=workers, force=True))
    return Run(vcf, out, read_tsv(out / "samples.tsv"), read_tsv(out / "relatedness.tsv"), parts)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Run]:
    """goe qc of a named input, once per module."""
    cache: dict[str, Run] = {}

    def get(name: str) -> Run:
        if name not in cache:
            tmp = tmp_path_factory.mktemp(f"exact_{name}")
            if name == "sim":
                sim = cached_cohort(tmp_path_factory)
                cache[name] = run_goe_qc(sim.vcf, sim.sheet, tmp / "qc", "GRCh38")
            else:
                sheet = column_sheet(tmp / "sheet.tsv", KG / f"{name}.samples.tsv")
                cache[name] = run_goe_qc(KG / f"{name}.vcf.gz", sheet, tmp / "qc", REAL[name])
        return cache[name]

    return get


def bcftools_stats(bcftools: str, vcf: Path) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """PSC and PSI rows of ``bcftools stats -s -`` by sample."""
    text = subprocess.run([bcftools, "stats", "-s", "-", str(vcf)], capture_output=True, text=True, check=True).stdout
    rows = [line.split("\t") for line in text.splitlines()]
    return {r[2]: r[3:] for r in rows if r[0] == "PSC"}, {r[2]: r[7:11] for r in rows if r[0] == "PSI"}


DATASETS = [
    pytest.param("hail_sample"), pytest.param("hail_sample2"), pytest.param("nygc2020_chr22_grch38"),
    pytest.param("phase3_1126_allchr", marks=pytest.mark.slow), pytest.param("sim"),
]


@pytest.mark.tools
@pytest.mark.parametrize("name", DATASETS)
def test_counts_equal_bcftools_stats(bcftools: str, runs: Callable[[str], Run], name: str) -> None:
    run = runs(name)
    psc, psi = bcftools_stats(bcftools, run.vcf)
    ids = run.samples["sample_id"].to_list()
    assert sorted(ids) == sorted(psc)
    mismatches = []
    for row in run.samples.iter_rows(named=True):
        ref = dict(zip(PSC, psc[row["sample_id"]], strict=True))
        for col in PSC:
            if col == "average_depth":
                dp = row["mean_dp"] if row["mean_dp"] is not None else 0.0
                if abs(dp - float(ref[col])) > 0.051:
                    mismatches.append((row["sample_id"], "mean_dp", dp, ref[col]))
            elif row[col] != int(ref[col]):
                mismatches.append((row["sample_id"], col, row[col], ref[col]))
    for col, k in zip(PSI, range(4), strict=True):
        goe = run.counter(col)
        mismatches += [(s, col, int(g), psi[s][k]) for s, g in zip(ids, goe, strict=True) if int(g) != int(psi[s][k])]
    assert not mismatches[:20], f"{len(mismatches)} differences, first: {mismatches[:20]}"
    # samples.tsv's ins/del ratio is made of the PSI counts.
    ins = run.counter("n_ins_hets") + run.counter("n_ins_alt_homs")
    dels = run.counter("n_del_hets") + run.counter("n_del_alt_homs")
    expected = [i / d if d else None for i, d in zip(ins.tolist(), dels.tolist(), strict=True)]
    for got, want in zip(run.samples["ins_del_ratio"].to_list(), expected, strict=True):
        assert (got is None and want is None) or abs(got - want) < 1e-6


def plink2_king(plink2: str, run: Run, tmp: Path, threshold: float | None) -> pl.DataFrame:
    """plink2's KING-robust table over exactly the SNVs goe used (IDs chrom:pos:ref:alt, chrom without chr)."""
    ids = [f"{c.removeprefix('chr')}:{p}:{r}:{a}" for c, p, r, a in run.kin_sites()]
    (tmp / "kin.ids").write_text("\n".join(ids) + "\n", encoding="utf-8")
    cmd = [plink2, "--vcf", str(run.vcf), "--vcf-half-call", "m", "--autosome", "--max-alleles", "2",
           "--set-all-var-ids", "@:#:$r:$a", "--new-id-max-allele-len", "1000", "--extract", str(tmp / "kin.ids"),
           "--make-king-table", "--threads", "2", "--out", str(tmp / "king")]
    if threshold is not None:
        cmd += ["--king-table-filter", str(threshold)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    m = re.search(r"--extract: (\d+) variants? remaining", proc.stdout)
    assert m, proc.stdout
    assert int(m.group(1)) == len(ids), proc.stdout
    return pl.read_csv(tmp / "king.kin0", separator="\t").rename({"#IID1": "IID1"})


def pair_map(frame: pl.DataFrame, a: str, b: str, k: str) -> dict[frozenset[str], float]:
    return {frozenset((x, y)): v for x, y, v in zip(frame[a], frame[b], frame[k], strict=True)}


@pytest.mark.tools
@pytest.mark.parametrize("name", [pytest.param("phase3_1126_allchr", marks=pytest.mark.slow), "sim"])
def test_kinship_equals_plink2(plink2: str, runs: Callable[[str], Run], name: str, tmp_path: Path) -> None:
    run = runs(name)
    king = plink2_king(plink2, run, tmp_path, SECOND_DEGREE - KIN_TOLERANCE)
    theirs = pair_map(king, "IID1", "IID2", "KINSHIP")
    ours = pair_map(run.relatedness, "sample_id_1", "sample_id_2", "kinship")
    assert ours, "no related pair to compare"
    for pair, k in theirs.items():
        if k > SECOND_DEGREE:
            assert pair in ours or k <= SECOND_DEGREE + KIN_TOLERANCE, f"{sorted(pair)}: plink2 {k}, not in goe"
    for pair, k in ours.items():
        assert pair in theirs, f"{sorted(pair)}: goe {k}, plink2 below {SECOND_DEGREE - KIN_TOLERANCE}"
        assert abs(k - theirs[pair]) <= KIN_TOLERANCE, f"{sorted(pair)}: goe {k}, plink2 {theirs[pair]}"
    ibs0 = pair_map(king, "IID1", "IID2", "IBS0")
    nsnp = pair_map(king, "IID1", "IID2", "NSNP")
    for row in run.relatedness.iter_rows(named=True):
        pair = frozenset((row["sample_id_1"], row["sample_id_2"]))
        assert row["n_snv"] == nsnp[pair]
        assert abs(row["ibs0"] - ibs0[pair]) < 1e-5


@pytest.mark.tools
def test_kinship_of_every_pair_equals_plink2(plink2: str, runs: Callable[[str], Run], tmp_path: Path) -> None:
    """On the simulated cohort, all 3,486 pairs (related or not) agree to plink2's printed precision."""
    run = runs("sim")
    king = plink2_king(plink2, run, tmp_path, None)
    theirs = pair_map(king, "IID1", "IID2", "KINSHIP")
    genotypes = np.concatenate([g for p in run.parts for g in p.kin_genotypes], axis=0)
    ids = run.samples["sample_id"].to_list()
    ours = {frozenset((ids[p.i], ids[p.j])): p.kinship for p in king_robust(genotypes, threshold=-np.inf)}
    assert len(ours) == len(theirs) == len(ids) * (len(ids) - 1) // 2
    worst = max(abs(ours[pair] - k) for pair, k in theirs.items())
    assert worst < 1e-4


def pedigree_first_degree(sample_ids: set[str]) -> set[frozenset[str]]:
    """Parent-child and sibling pairs the IGSR sheet states, among ``sample_ids``.

    Only nuclear families are read: in a multi-generation family (one with
    grandparents) the sheet's "mother"/"child" labels do not say whose child
    (CEPH 1463: NA12878 is "mother; child", NA12889 "pat grandfather; father",
    yet NA12889 is her father-in-law).
    """
    with (KG / "igsr_3500_samples.tsv").open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if r["sample_id"] in sample_ids]
    families: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        families.setdefault(r["family_id"], []).append(r)
    pairs: set[frozenset[str]] = set()
    for members in families.values():
        role = {m["sample_id"]: {x.strip().lower() for x in m["relationship"].split(";")} for m in members}
        if any("grand" in x for r in role.values() for x in r):
            continue
        children = [s for s, r in role.items() if r & {"child", "child2", "daughter", "son"}]
        parents = [s for s, r in role.items() if r & {"mother", "father"}]
        pairs |= {frozenset((c, p)) for c in children for p in parents if c != p}
        pairs |= {frozenset((a, b)) for a in children for b in children if a < b}
    return pairs


def spouse_pairs(sample_ids: set[str]) -> set[frozenset[str]]:
    """Mother + father (or grandmother + grandfather on one side) of one family: not blood relatives."""
    with (KG / "igsr_3500_samples.tsv").open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if r["sample_id"] in sample_ids]
    by_role: dict[tuple[str, str], list[str]] = {}
    for r in rows:
        for role in (x.strip().lower() for x in r["relationship"].split(";")):
            side = role.replace("mother", "").replace("father", "")
            if role.endswith(("mother", "father")):
                by_role.setdefault((r["family_id"], side), []).append(r["sample_id"])
    return {frozenset(v) for v in by_role.values() if len(v) == 2}


@pytest.mark.slow
def test_phase3_pedigree_pairs(runs: Callable[[str], Run]) -> None:
    """Every parent-child/sibling pair of the pedigree is first degree; spouses are never related.

    Of the 1,126 samples the IGSR sheet relates none as parent-child or siblings
    (the subset keeps founders: couples and grandparents), so the first check
    has nothing to hold on this file; the spouse and in-law pairs must all be unrelated.
    """
    run = runs("phase3_1126_allchr")
    ids = set(run.samples["sample_id"].to_list())
    rel = {frozenset((a, b)): r for a, b, r in zip(run.relatedness["sample_id_1"], run.relatedness["sample_id_2"],
                                                   run.relatedness["relationship"], strict=True)}
    first = pedigree_first_degree(ids)
    missing = [sorted(p) for p in first if rel.get(p) not in ("first degree", "duplicate")]
    assert not missing
    assert len(first) == 0  # the finding above; a change of the test data must revisit this test
    couples = spouse_pairs(ids)
    assert len(couples) > 150
    in_laws = {frozenset(("NA12878", "NA12889")), frozenset(("NA12878", "NA12890"))}
    assert not [sorted(p) for p in couples | in_laws if p in rel]
    # goe does find first-degree pairs here: cryptic relatives under different family IDs.
    assert run.relatedness.filter(pl.col("kinship") > FIRST_DEGREE).height > 0


@pytest.mark.slow
def test_phase3_inferred_sex_equals_sheet(runs: Callable[[str], Run]) -> None:
    run = runs("phase3_1126_allchr")
    sheet = {r["vcf_sample_id"]: r["sex"] for r in igsr_rows(KG / "phase3_1126_allchr.samples.tsv")}
    inferred = dict(zip(run.samples["sample_id"], run.samples["inferred_sex"], strict=True))
    assert len(inferred) == 1126
    assert {s: v for s, v in inferred.items() if v != sheet[s]} == {}
    assert "sample.sex" not in ",".join(run.samples["reasons"].fill_null("").to_list())
