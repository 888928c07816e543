"""The `goe` command line: help, version, a real `goe freq` run and its output modes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from cli_support import PACKAGE_FILES, SMALL_VCF, leftovers, run_goe, write_sheet
from typer.testing import CliRunner

import goe
from goe.cli.app import _state
from goe.cli.main import app
from goe.errors import VcfError

GOE = Path(sys.executable).with_name("goe")


def _freq_args(tmp_path: Path, *extra: str | Path) -> list[str | Path]:
    sheet = tmp_path / "sheet.tsv"
    if not sheet.exists():
        write_sheet(sheet)
    return ["freq", SMALL_VCF, "--samples", sheet, "--out", tmp_path / "pkg", "-j", "1", *extra]


def _freq_option_names() -> list[str]:
    command = typer.main.get_command(app)
    freq = command.commands["freq"]  # type: ignore[attr-defined]
    names = []
    for param in freq.params:
        if param.param_type_name == "option":
            names += [o for o in (*param.opts, *param.secondary_opts) if o.startswith("--")]
    return names


# ------------------------------------------------------------------ help and version


def test_help_lists_commands() -> None:
    result = run_goe(["--help"])
    assert result.exit_code == 0
    assert "Genome of Europe toolkit" in result.stdout
    assert "freq" in result.stdout
    assert "--version" in result.stdout
    assert "--debug" in result.stdout


def test_no_arguments_shows_help() -> None:
    result = run_goe([])
    assert "freq" in result.output
    assert "Usage" in result.output


def test_version() -> None:
    result = run_goe(["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"goe {goe.__version__}\n"
    assert result.stdout.startswith("goe 0.")


def test_freq_help_mentions_every_option() -> None:
    result = CliRunner().invoke(app, ["freq", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    names = _freq_option_names()
    assert {"--samples", "--out", "--keep", "--assembly", "--guidelines", "--mask", "--no-mask",
            "--min-allele-count", "--group-by", "--country", "--workers", "--partition-size",
            "--force", "--quiet", "--json"} <= set(names)
    missing = [n for n in names if n not in result.stdout]
    assert missing == []
    assert "COHORT" in result.stdout.upper()


# ------------------------------------------------------------------ a real run


def test_freq_writes_package_and_summary(tmp_path: Path) -> None:
    result = run_goe(_freq_args(tmp_path, "-q"))
    assert result.exit_code == 0, result.output
    out = tmp_path / "pkg"
    assert {p.name for p in out.iterdir()} == PACKAGE_FILES
    assert leftovers(out) == []
    text = result.stdout
    for word in ("population", "samples", "Total", "FI_M", "GB_F", "records read", "alleles written",
                 "population rows withheld (floor)", f"package: {out}/sites.vcf.gz"):
        assert word in text
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["records_read"] == 100
    assert f"{manifest['counts']['records_read']:,}" in text
    assert manifest["samples"] == {"in_sheet": 100, "used": 100, "in_vcf_not_in_sheet": 0, "keep_list": None}
    assert [p["label"] for p in manifest["populations"]] == [
        "Total", "M", "F", "FI", "FI_M", "FI_F", "GB", "GB_M", "GB_F"]
    assert result.stderr == ""  # -q: no progress bar, and this input gives no warning


def test_json_prints_the_manifest(tmp_path: Path) -> None:
    result = run_goe(_freq_args(tmp_path, "--json"))
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed == json.loads((tmp_path / "pkg" / "manifest.json").read_text())
    assert "population rows withheld" not in result.stdout  # no table
    assert result.stderr == ""  # --json implies no progress bar


def test_progress_bar_only_without_quiet(tmp_path: Path) -> None:
    loud = run_goe(_freq_args(tmp_path))
    assert loud.exit_code == 0, loud.output
    assert "finalising" in loud.stderr
    assert "records" in loud.stderr
    quiet = run_goe(_freq_args(tmp_path, "--force", "--quiet"))
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stderr == ""
    assert "finalising" not in quiet.output


def test_second_run_needs_force_and_force_replaces(tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    first = run_goe(_freq_args(tmp_path, "-q"))
    assert first.exit_code == 0, first.output
    old = (out / "manifest.json").read_text()

    again = run_goe(_freq_args(tmp_path, "-q", "--min-allele-count", "5"))
    assert again.exit_code == 1
    assert again.stderr == (
        f"error: {out}: folder exists and is not empty; use --force to replace it, or choose another --out\n")
    assert (out / "manifest.json").read_text() == old

    forced = run_goe(_freq_args(tmp_path, "-q", "--min-allele-count", "5", "--force"))
    assert forced.exit_code == 0, forced.output
    new = json.loads((out / "manifest.json").read_text())
    assert new["parameters"]["min_allele_count"] == 5
    assert json.loads(old)["parameters"]["min_allele_count"] == 0
    assert {p.name for p in out.iterdir()} == PACKAGE_FILES
    assert leftovers(out) == []  # neither staging nor the replaced package is left behind


def test_keep_restricts_samples(tmp_path: Path) -> None:
    keep = tmp_path / "keep.txt"
    keep.write_text("# two people\nHG00096\nHG00097\n")
    result = run_goe(_freq_args(tmp_path, "-q", "--json", "--keep", keep))
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.stdout)
    assert manifest["samples"]["used"] == 2
    assert manifest["samples"]["keep_list"] == "keep.txt"
    assert result.stderr == ("warning: 98 sample(s) in nygc2020_chr22_grch38.vcf.gz are left out "
                             "(not in the sample sheet or not in --keep)\n")


# ------------------------------------------------------------------ --debug


def test_debug_reraises(tmp_path: Path) -> None:
    args = _freq_args(tmp_path)
    args[1] = tmp_path / "missing.vcf.gz"
    _state["debug"] = False
    result = CliRunner().invoke(app, ["--debug", *map(str, args)])
    _state["debug"] = False
    assert isinstance(result.exception, VcfError)
    assert "file not found" in str(result.exception)
    assert result.exit_code == 1
    assert not (tmp_path / "pkg").exists()


@pytest.mark.skipif(not GOE.exists(), reason="goe console script not installed in this environment")
def test_debug_shows_traceback_in_a_real_process(tmp_path: Path) -> None:
    args = [str(a) for a in _freq_args(tmp_path, "-q")]
    args[1] = str(tmp_path / "missing.vcf.gz")
    plain = subprocess.run([GOE, *args], capture_output=True, text=True, check=False)
    assert plain.returncode == 1
    assert plain.stderr == f"error: {tmp_path}/missing.vcf.gz: file not found\n"
    debug = subprocess.run([GOE, "--debug", *args], capture_output=True, text=True, check=False)
    assert debug.returncode != 0
    assert "Traceback (most recent call last)" in debug.stderr
    assert "goe.errors.VcfError" in debug.stderr


def test_error_is_one_line_without_quiet(tmp_path: Path) -> None:
    args = _freq_args(tmp_path)
    args[1] = tmp_path / "missing.vcf.gz"
    result = run_goe(args)
    assert result.exit_code == 1
    assert result.stderr == f"error: {tmp_path}/missing.vcf.gz: file not found\n"  # no empty bar line first
    assert result.stdout == ""


def test_debug_does_not_leak_into_the_next_run(tmp_path: Path) -> None:
    args = [str(a) for a in _freq_args(tmp_path)]
    args[1] = str(tmp_path / "missing.vcf.gz")
    runner = CliRunner(env={"GOE_DEBUG": None})
    try:
        first = runner.invoke(app, ["--debug", *args])
        later = runner.invoke(app, args)
    finally:
        _state["debug"] = False
    assert isinstance(first.exception, VcfError)
    assert later.exception is None or isinstance(later.exception, SystemExit)
    assert later.exit_code == 1
    assert later.stderr == f"error: {tmp_path}/missing.vcf.gz: file not found\n"


# ------------------------------------------------------------------ exit codes


def test_usage_error_exits_2(tmp_path: Path) -> None:
    """A command line click rejects (here: no --samples) is exit 2, not 1 (bad input) or 3 (internal)."""
    result = run_goe(["freq", SMALL_VCF, "--out", tmp_path / "pkg"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Usage: goe freq [OPTIONS]")
    assert "Missing option '--samples'" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_unknown_option_exits_2(tmp_path: Path) -> None:
    result = run_goe(_freq_args(tmp_path, "--no-such-option"))
    assert result.exit_code == 2
    assert "No such option: --no-such-option" in result.stderr
    assert not (tmp_path / "pkg").exists()
