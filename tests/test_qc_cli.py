"""The `goe qc` command line: outputs and their columns, --json, a VCF without AD, guideline listing, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from cli_support import KG, SMALL_VCF, run_goe, write_sheet
from qc_sim import SimCohort, cached_cohort
from typer.testing import CliRunner, Result

from goe.cli.app import _state
from goe.cli.main import app

OUTPUTS = ("samples.tsv", "pass_samples.txt", "relatedness.tsv", "summary.json", "report.html", "goe_qc_mqc.json")
IDENTITY = ["sample_id", "status", "reasons", "inferred_sex", "reported_sex", "country"]
VCF_METRICS = ["call_rate", "n_snv", "n_indel", "het_hom_ratio", "ti_tv", "ins_del_ratio", "n_singletons", "mean_dp",
               "mean_gq", "chrx_het_rate", "chrx_f", "chrx_haploid_rate", "chry_call_rate", "contamination"]
# The raw bcftools-style counts; n_singletons is both a metric and a raw count, so it is listed once, among the metrics.
RAW_COUNTS = ["n_ref_hom", "n_non_ref_hom", "n_hets", "n_transitions", "n_transversions", "n_indels", "n_hap_ref",
              "n_hap_alt", "n_missing"]
RELATEDNESS = ["sample_id_1", "sample_id_2", "kinship", "ibs0", "n_snv", "relationship", "excluded"]
CHECK_IDS = [
    "sequencing.mean_coverage", "sequencing.pct_15x", "sequencing.q30_yield", "sequencing.contamination",
    "sequencing.contamination_warn", "sequencing.duplicates", "sequencing.insert_size", "sample.call_rate",
    "sample.mean_depth", "sample.sex", "sample.contamination", "sample.contamination_warn", "sample.singletons",
    "sample.het_hom_ratio", "sample.het_hom_outlier", "sample.singleton_outlier", "sample.relatedness",
    "cohort.size", "cohort.sex_balance", "cohort.fail_share", "genotype.gq", "genotype.dp", "genotype.allele_balance",
    "variant.hwe", "variant.missingness", "variant.qual", "variant.qd", "variant.mq", "variant.fs",
    "variant.readposranksum", "variant.dp", "variant.ac0",
]


def strict_json(text: str) -> Any:
    """Parse JSON as the standard has it: NaN and Infinity are not JSON."""
    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not valid JSON")

    return json.loads(text, parse_constant=refuse)


def header(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()[0].split("\t")


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> SimCohort:
    return cached_cohort(tmp_path_factory)


@pytest.fixture(scope="module")
def json_run(sim: SimCohort, tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    """goe qc --json on the simulated cohort, without --metrics."""
    out = tmp_path_factory.mktemp("cli") / "qc"
    result = run_goe(["qc", sim.vcf, "--samples", sim.sheet, "--out", out, "--json", "-j", "1"])
    return result, out


def test_outputs_exist_with_documented_columns(json_run: tuple[Result, Path]) -> None:
    result, out = json_run
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)
    cols = header(out / "samples.tsv")
    assert cols[:6] == IDENTITY
    assert cols[6 : 6 + len(VCF_METRICS)] == VCF_METRICS
    assert cols[-len(RAW_COUNTS) :] == RAW_COUNTS
    assert cols.count("n_singletons") == 1
    assert header(out / "relatedness.tsv") == RELATEDNESS
    samples = pl.read_csv(out / "samples.tsv", separator="\t", null_values="NA")
    assert set(samples["status"]) <= {"pass", "warn", "fail"}
    assert set(samples["inferred_sex"]) <= {"male", "female", "unknown"}


def test_json_output_equals_summary_file(json_run: tuple[Result, Path]) -> None:
    result, out = json_run
    printed = strict_json(result.stdout)
    assert printed == strict_json((out / "summary.json").read_text(encoding="utf-8"))
    assert printed["cohort"]["samples"] == 84


def test_without_metrics_the_vcf_checks_still_decide(sim: SimCohort, json_run: tuple[Result, Path]) -> None:
    """No --metrics: the sequencing checks are not assessed; the low-depth sample fails on FORMAT/DP alone."""
    result, out = json_run
    summary = strict_json(result.stdout)
    assert "sequencing.mean_coverage" in summary["not_assessed"]
    assert not [c for c in summary["not_assessed"] if c.startswith("sample.")]
    samples = pl.read_csv(out / "samples.tsv", separator="\t", null_values="NA")
    row = samples.filter(pl.col("sample_id") == sim.planted["low_depth"][0]).row(0, named=True)
    assert row["status"] == "fail"
    assert "sample.mean_depth" in row["reasons"].split(",")
    assert not [c for c in samples.columns if c == "mean_autosome_coverage"]


def test_vcf_without_ad_reports_contamination_not_assessed(tmp_path: Path) -> None:
    """eur300_chr20 is GT only: a warning line, no crash, contamination and depth 'not assessed'.

    It covers 3 Mb of chr20, so relatedness and the outlier checks are not assessed either (a second warning).
    """
    sheet = write_sheet(tmp_path / "sheet.tsv", KG / "eur300_chr20.samples.tsv", vcf_ids=True)
    out = tmp_path / "qc"
    result = run_goe(["qc", KG / "eur300_chr20.vcf.gz", "--samples", sheet, "--out", out, "--assembly", "GRCh37",
                      "-j", "1", "-q"])
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert all(ln.startswith("warning: ") for ln in lines), lines
    no_ad = [ln for ln in lines if "FORMAT/AD" in ln]
    assert len(no_ad) == 1
    assert "contamination" in no_ad[0]
    assert "not assessed" in no_ad[0]
    summary = strict_json((out / "summary.json").read_text(encoding="utf-8"))
    expected = {"sample.contamination", "sample.contamination_warn", "sample.mean_depth", "sample.relatedness",
                "sample.het_hom_outlier", "sample.singleton_outlier"}
    assert expected <= set(summary["not_assessed"])
    samples = pl.read_csv(out / "samples.tsv", separator="\t", null_values="NA")
    assert samples.height == 300
    assert samples["contamination"].null_count() == 300
    assert "not assessed: " in result.stdout
    assert "sample.contamination" in result.stdout


def invoke(args: list[str], env: dict[str, str] | None = None) -> Result:
    _state["debug"] = False
    return CliRunner().invoke(app, args, env=env)


def test_guidelines_list_names_the_profile() -> None:
    """`list` lists profiles (name, version, status, number of checks), not the checks themselves."""
    result = invoke(["guidelines", "list"])
    assert result.exit_code == 0
    assert "1mg-proof-draft" in result.stdout
    assert str(len(CHECK_IDS)) in result.stdout


def test_guidelines_show_prints_every_check_id_in_a_wide_terminal() -> None:
    result = invoke(["guidelines", "show", "1mg-proof-draft"], env={"COLUMNS": "250"})
    assert result.exit_code == 0
    assert [c for c in CHECK_IDS if c not in result.stdout] == []


def test_guidelines_show_prints_every_check_id_when_piped() -> None:
    result = invoke(["guidelines", "show", "1mg-proof-draft"])
    assert result.exit_code == 0
    assert [c for c in CHECK_IDS if c not in result.stdout] == []


def one_error(result: Result, *fragments: str) -> None:
    assert result.exit_code == 1, result.stdout + result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    for f in fragments:
        assert f in lines[0]
    assert "Traceback" not in result.stdout + result.stderr


@pytest.fixture
def small(tmp_path: Path) -> tuple[Path, Path]:
    return SMALL_VCF, write_sheet(tmp_path / "sheet.tsv")


def test_selfsm_name_with_other_content_is_one_error(small: tuple[Path, Path], tmp_path: Path) -> None:
    metrics = tmp_path / "HG00096.selfSM"
    metrics.write_text("chrom\tlength\tbases\tmean\tmin\tmax\ntotal\t100\t3000\t30.00\t0\t55\n", encoding="utf-8")
    out = tmp_path / "qc"
    result = run_goe(["qc", small[0], "--samples", small[1], "--out", out, "--metrics", metrics, "-q"])
    one_error(result, str(metrics), "VerifyBamID")
    assert not out.exists()


def test_metrics_naming_a_sample_not_in_the_sheet_is_one_error(small: tuple[Path, Path], tmp_path: Path) -> None:
    metrics = tmp_path / "lane1.selfSM"
    metrics.write_text("#SEQ_ID\tRG\tCHIP_ID\t#SNPS\t#READS\tAVG_DP\tFREEMIX\n"
                       "NA99999\tALL\tNA\t1781659\t8397166\t4.71\t0.00037\n", encoding="utf-8")
    out = tmp_path / "qc"
    result = run_goe(["qc", small[0], "--samples", small[1], "--out", out, "--metrics", metrics, "-q"])
    one_error(result, "NA99999", "not in the sample sheet")
    assert not out.exists()


@pytest.mark.parametrize("text", [
    '[profile]\nname = "broken"\n[[checks]\nid = \n',
    '[profile]\nname = "broken"\nversion = "1"\n[[checks]]\nid = "sample.call_rate"\nlevel = "sample"\n'
    'metric = "call_rate"\ncomparator = ">="\nthreshold = "high"\nseverity = "fail"\n',
], ids=["not-toml", "bad-threshold"])
def test_malformed_guidelines_is_one_error(small: tuple[Path, Path], tmp_path: Path, text: str) -> None:
    toml = tmp_path / "mine.toml"
    toml.write_text(text, encoding="utf-8")
    out = tmp_path / "qc"
    result = run_goe(["qc", small[0], "--samples", small[1], "--out", out, "--guidelines", toml, "-q"])
    one_error(result, "mine.toml")
    assert not out.exists()
