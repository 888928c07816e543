"""`goe run`: the config checked key by key, what a step's fingerprint covers, and checks before any step runs."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_support import example_run, run_steps
from typer.testing import CliRunner

from goe.cli.main import app
from goe.guidelines.profile import available_profiles

HEAD = """
[run]
out = "out"
assembly = "GRCh37"
workers = 1
{run}

[[cohort]]
name = "FI"
vcf = "cohort/eur_chr20.vcf.gz"
samples = "cohort/samples_FI.tsv"
{cohort}

[merge]
name = "europe"
"""
STEPS = ["FI qc", "FI freq", "merge europe"]


def _setup(tmp_path: Path, run: str = "", cohort: str = "") -> Path:
    return example_run(tmp_path, HEAD.format(run=run, cohort=cohort))


def _error(cfg: Path, *extra: str) -> str:
    result = CliRunner().invoke(app, ["run", str(cfg), *extra])
    assert result.exit_code == 1, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr.removeprefix("error: ").rstrip("\n")


def test_skipping_does_not_depend_on_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = _setup(tmp_path)
    assert run_steps(cfg) == dict.fromkeys(STEPS, "done")
    monkeypatch.chdir(tmp_path)
    assert run_steps("run.toml") == dict.fromkeys(STEPS, "unchanged")
    monkeypatch.chdir(tmp_path / "cohort")
    assert run_steps("../run.toml") == dict.fromkeys(STEPS, "unchanged")


def test_guideline_file_is_relative_to_the_config_and_its_edits_rerunrun_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = _setup(tmp_path, run='guidelines = "custom.toml"')
    custom = tmp_path / "custom.toml"
    shutil.copy(available_profiles()["1mg-proof-draft"], custom)
    monkeypatch.chdir(tmp_path / "cohort")  # custom.toml is not here
    assert run_steps(cfg) == dict.fromkeys(STEPS, "done")
    custom.write_text(custom.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert run_steps(cfg, "--dry-run") == dict.fromkeys(STEPS, "to run")


def test_bundled_guideline_name_and_unknown_profile(tmp_path: Path) -> None:
    cfg = _setup(tmp_path, run='guidelines = "1mg-proof-draft"')
    assert run_steps(cfg, "--dry-run") == dict.fromkeys(STEPS, "to run")
    cfg.write_text(cfg.read_text().replace('"1mg-proof-draft"', '"nope.toml"'), encoding="utf-8")
    assert _error(cfg, "--dry-run") == (
        f"{cfg}: [run]: guidelines: guideline profile '{tmp_path}/nope.toml' not found; "
        "give a TOML file or one of: 1mg-proof-draft")


def test_a_change_inside_a_metrics_folder_reruns_qc(tmp_path: Path) -> None:
    cfg = _setup(tmp_path, cohort='metrics = ["metrics"]')
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics/notes.txt").write_text("one\n", encoding="utf-8")
    assert run_steps(cfg) == dict.fromkeys(STEPS, "done")
    assert run_steps(cfg, "--dry-run") == dict.fromkeys(STEPS, "unchanged")
    (tmp_path / "metrics/notes.txt").write_text("two\n", encoding="utf-8")
    assert run_steps(cfg, "--dry-run") == dict.fromkeys(STEPS, "to run")


def test_an_unreadable_record_reruns_its_step(tmp_path: Path) -> None:
    cfg = _setup(tmp_path)
    assert run_steps(cfg) == dict.fromkeys(STEPS, "done")
    record = tmp_path / "out/.goe-run/FI_qc.json"
    record.write_text('{"step": "FI q', encoding="utf-8")  # as left by an interrupted write
    # The QC rerun writes the same pass list, so freq and merge stay unchanged.
    assert run_steps(cfg) == {"FI qc": "done", "FI freq": "unchanged", "merge europe": "unchanged"}
    assert json.loads(record.read_text())["step"] == "FI qc"
    assert not list((tmp_path / "out/.goe-run").glob("*.tmp"))


@pytest.mark.parametrize(
    ("deleted", "plan"),
    [
        ("FI/freq/frequencies.parquet", {"FI qc": "unchanged", "FI freq": "to run", "merge europe": "to run"}),
        ("europe/sites.vcf.gz.tbi", {"FI qc": "unchanged", "FI freq": "unchanged", "merge europe": "to run"}),
        ("FI/qc/report.html", dict.fromkeys(STEPS, "to run")),
    ],
)
def test_a_deleted_output_reruns_its_step(tmp_path: Path, deleted: str, plan: dict[str, str]) -> None:
    cfg = _setup(tmp_path)
    assert run_steps(cfg) == dict.fromkeys(STEPS, "done")
    (tmp_path / "out" / deleted).unlink()
    assert run_steps(cfg, "--dry-run") == plan


BAD = [
    ('min_allele_count = "five"', "[[cohort]] 1 (FI): min_allele_count must be an integer 0 or more; "
     "write it without quotes: min_allele_count = 2"),
    ("min_allele_count = 2.7", "[[cohort]] 1 (FI): min_allele_count must be an integer 0 or more; "
     "write it without quotes: min_allele_count = 2"),
    ("min_allele_count = -1", "[[cohort]] 1 (FI): min_allele_count must be an integer 0 or more; "
     "write it without quotes: min_allele_count = 2"),
    ('qc = "false"', "[[cohort]] 1 (FI): qc must be true or false; write it without quotes: qc = false"),
    ('mask = "false"', "[[cohort]] 1 (FI): mask must be true or false; write it without quotes: mask = false"),
    ('metrics = "dir"', '[[cohort]] 1 (FI): metrics must be a list of paths; e.g. metrics = ["a", "b"]'),
]


@pytest.mark.parametrize(("line", "message"), BAD)
def test_wrong_cohort_types_are_one_line(tmp_path: Path, line: str, message: str) -> None:
    cfg = _setup(tmp_path, cohort=line)
    assert _error(cfg) == f"{cfg}: {message}"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('name = "FI"', "name = 5", '[[cohort]] 1: name must be a string; put it in quotes: name = "..."'),
        ('vcf = "cohort/eur_chr20.vcf.gz"', "vcf = 5",
         '[[cohort]] 1 (FI): vcf must be a string; put it in quotes: vcf = "..."'),
        ('out = "out"', "out = 3", '[run]: out must be a string; put it in quotes: out = "..."'),
        ("workers = 1", 'workers = "2"', "[run]: workers must be an integer 1 or more; "
         "write it without quotes: workers = 2"),
        ("[[cohort]]", "[cohort]",
         "'cohort' must be a list of tables; write each cohort as [[cohort]] (double brackets)"),
        ('name = "FI"', 'name = "A B"', "[[cohort]] 1: name 'A B' is not allowed; "
         "use letters, digits, '_', '.' and '-', starting with a letter or digit"),
        ('name = "FI"', 'name = "../escaped"', "[[cohort]] 1: name '../escaped' is not allowed; "
         "use letters, digits, '_', '.' and '-', starting with a letter or digit"),
        ('name = "europe"', 'name = "fi"', "[merge]: name 'fi' is also a cohort's name, and both would write to "
         "the same folder; give the merge another name"),
        ('assembly = "GRCh37"', 'assembly = "hg20"', "[run]: assembly: unknown assembly 'hg20'; "
         'use assembly = "GRCh38" or "GRCh37"'),
    ],
)
def test_wrong_config_values_are_one_line(tmp_path: Path, old: str, new: str, message: str) -> None:
    cfg = _setup(tmp_path)
    cfg.write_text(cfg.read_text().replace(old, new, 1), encoding="utf-8")
    assert _error(cfg) == f"{cfg}: {message}"
    assert not (tmp_path / "out").exists()


def test_run_that_is_not_a_table_is_one_line(tmp_path: Path) -> None:
    cfg = tmp_path / "run.toml"
    cfg.write_text("run = 5\n[merge]\n", encoding="utf-8")
    assert _error(cfg) == f"{cfg}: 'run' must be a table; write it as [run] with its keys below"


def test_cohort_names_that_differ_only_by_case_are_refused(tmp_path: Path) -> None:
    cfg = _setup(tmp_path)
    cfg.write_text(cfg.read_text().replace("[merge]", '[[cohort]]\nname = "fi"\nvcf = "cohort/eur_chr20.vcf.gz"\n'
                                           'samples = "cohort/samples_GB.tsv"\n\n[merge]'), encoding="utf-8")
    assert _error(cfg) == f"{cfg}: cohorts 'FI' and 'fi' differ only by case; give each cohort its own name"


def _second(tmp_path: Path, samples: str) -> Path:
    cfg = _setup(tmp_path)
    cfg.write_text(cfg.read_text().replace("[merge]", f'[[cohort]]\nname = "GB"\nvcf = "cohort/eur_chr20.vcf.gz"\n'
                                           f'samples = "{samples}"\n\n[merge]'), encoding="utf-8")
    return cfg


@pytest.mark.parametrize("dry_run", [True, False])
def test_missing_input_of_a_later_cohort_stops_before_any_step(tmp_path: Path, dry_run: bool) -> None:
    cfg = _second(tmp_path, "cohort/missing.tsv")
    message = _error(cfg, *(["--dry-run"] if dry_run else []))
    assert message == (f"{cfg}: [[cohort]] 2 (GB): samples {tmp_path}/cohort/missing.tsv not found; "
                       "paths are relative to the config file's folder")
    assert not (tmp_path / "out").exists()


def test_a_country_in_two_cohorts_is_refused_up_front(tmp_path: Path) -> None:
    cfg = _second(tmp_path, "cohort/samples_FI.tsv")
    assert _error(cfg, "--dry-run") == (
        f"{cfg}: [[cohort]] 2 (GB): country FI is also in cohort FI; "
        "give each country's samples to one cohort (or restrict them with keep)")
    assert not (tmp_path / "out").exists()


def test_sigterm_says_that_finished_steps_are_kept(tmp_path: Path) -> None:
    """goe run stopped by kill / a Slurm time limit: exit 130 and how to resume (not "no output")."""
    cfg = _setup(tmp_path)
    sheet = tmp_path / "cohort" / "samples_FI.tsv"
    sheet.unlink()
    os.mkfifo(sheet)  # goe blocks reading it (the up-front checks): the signal arrives while it runs
    goe = shutil.which("goe", path=str(Path(sys.executable).parent)) or "goe"
    proc = subprocess.Popen([goe, "run", str(cfg)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.0)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert stderr == "interrupted; the steps that finished are kept: run the same command again to resume\n"
