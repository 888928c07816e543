"""`goe run`: the chain from one config, skipping unchanged steps and resuming after a failure."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from cli_support import example_run, run_steps
from typer.testing import CliRunner

from goe.cli.main import app

CONFIG = """
[run]
out = "out"
assembly = "GRCh37"
workers = 1

[[cohort]]
name = "FI"
vcf = "cohort/eur_chr20.vcf.gz"
samples = "cohort/samples_FI.tsv"

[[cohort]]
name = "GB"
vcf = "{gb_vcf}"
samples = "cohort/samples_GB.tsv"

[merge]
name = "europe"
"""


def _setup(tmp_path: Path, gb_vcf: str = "cohort/eur_chr20.vcf.gz") -> Path:
    return example_run(tmp_path, CONFIG.format(gb_vcf=gb_vcf))


def test_chain_runs_then_skips_unchangedrun_steps(tmp_path: Path) -> None:
    cfg = _setup(tmp_path)
    names = ["FI qc", "FI freq", "GB qc", "GB freq", "merge europe"]
    assert run_steps(cfg, "--dry-run") == dict.fromkeys(names, "to run")
    assert run_steps(cfg) == dict.fromkeys(names, "done")
    out = tmp_path / "out"
    # freq used the QC pass list; the merge is the sum of the two national packages.
    fi_pass = (out / "FI/qc/pass_samples.txt").read_text().split()
    manifest = json.loads((out / "FI/freq/manifest.json").read_text())
    assert manifest["samples"]["used"] == len(fi_pass)
    merged = pl.read_parquet(out / "europe/frequencies.parquet").filter(pl.col("population") == "Total")
    fi = pl.read_parquet(out / "FI/freq/frequencies.parquet").filter(pl.col("population") == "FI")
    gb = pl.read_parquet(out / "GB/freq/frequencies.parquet").filter(pl.col("population") == "GB")
    both = fi.join(gb, on=["chrom", "pos", "ref", "alt"], suffix="_gb").join(
        merged, on=["chrom", "pos", "ref", "alt"], suffix="_eu")
    assert both.height == merged.height > 0
    assert (both["ac"] + both["ac_gb"] == both["ac_eu"]).all()
    assert (both["an"] + both["an_gb"] == both["an_eu"]).all()
    # Nothing changed: every step is skipped, and the outputs are untouched.
    before = (out / "europe/sites.vcf.gz").stat().st_mtime_ns
    assert run_steps(cfg) == dict.fromkeys(names, "unchanged")
    assert (out / "europe/sites.vcf.gz").stat().st_mtime_ns == before
    # A changed sample sheet reruns that cohort and everything after it, not the other cohort.
    sheet = tmp_path / "cohort/samples_GB.tsv"
    sheet.write_text(sheet.read_text().replace("\tfemale\t", "\tF\t"), encoding="utf-8")
    plan = run_steps(cfg, "--dry-run")
    assert plan == {"FI qc": "unchanged", "FI freq": "unchanged", "GB qc": "to run", "GB freq": "to run",
                    "merge europe": "to run"}


def test_resumes_after_a_failed_step(tmp_path: Path) -> None:
    # A VCF that exists (so the checks before the run pass) but cannot be read: GB qc fails.
    cfg = _setup(tmp_path, gb_vcf="cohort/broken.vcf.gz")
    (tmp_path / "cohort/broken.vcf.gz").write_text("not a VCF\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(cfg), "-q"])
    assert result.exit_code == 1
    # FI's steps ran (with their warnings); the chain stopped at GB with one error line.
    assert "broken.vcf.gz" in result.stderr.splitlines()[-1]
    assert result.stderr.count("error:") == 1
    assert (tmp_path / "out/FI/freq/manifest.json").is_file()
    assert not (tmp_path / "out/GB").exists()
    # Fixed: FI's finished steps are kept, the chain goes on from GB.
    cfg.write_text(CONFIG.format(gb_vcf="cohort/eur_chr20.vcf.gz"), encoding="utf-8")
    assert run_steps(cfg) == {"FI qc": "unchanged", "FI freq": "unchanged", "GB qc": "done", "GB freq": "done",
                           "merge europe": "done"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[run]\nassembly = 'GRCh37'\n", "{cfg}: [run] needs 'out', the folder for every step's results"),
        ("[run]\nout = 'x'\nspeed = 1\n[merge]\n",
         "{cfg}: unknown key 'speed' in [run]; known keys: assembly, guidelines, out, partition_size, scheduler, "
         "workers"),
        ("[run]\nout = 'x'\n", "{cfg}: nothing to run; add [[cohort]] tables and/or a [merge] table"),
        ("[run]\nout = 'x'\n[[cohort]]\nname = 'FI'\nvcf = 'a.vcf.gz'\n", "{cfg}: [[cohort]] 1 needs 'samples'"),
        ("[run]\nout = 'x'\n[cohorts]\n", "{cfg}: unknown table [cohorts]; use [run], [[cohort]] and [merge]"),
        ("[run]\nout = 'x'\npartition_size = '16 parsecs'\n[merge]\n",
         "{cfg}: [run] partition_size = 16 parsecs: not a size; write it like 512K, 16M or 1G"),
        ("[run\n", None),
    ],
)
def test_config_errors_are_one_line(tmp_path: Path, text: str, message: str | None) -> None:
    cfg = tmp_path / "run.toml"
    cfg.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(cfg)])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: ")
    if message is not None:
        assert result.stderr == f"error: {message.format(cfg=cfg)}\n"
    else:
        assert "not valid TOML" in result.stderr


class _InterruptAfter:
    """A progress display whose user presses Ctrl-C once ``folder`` holds ``n`` finished partitions."""

    def __init__(self, folder: Path, n: int) -> None:
        self.folder, self.n = folder, n

    def start(self, description: str, total: int | None, unit: str) -> None:
        return None

    def advance(self, amount: int) -> None:
        if len(list(self.folder.glob("done*.pickle"))) >= self.n:
            raise KeyboardInterrupt

    def finish(self) -> None:
        return None


def test_interrupted_step_resumes_from_its_finished_partitions(tmp_path: Path) -> None:
    from goe.pipeline.config import load_config
    from goe.pipeline.run import run_chain

    cfg = _setup(tmp_path)
    cfg.write_text(cfg.read_text().replace("workers = 1", "workers = 1\npartition_size = '16K'"), encoding="utf-8")
    parts = tmp_path / "out/.goe-run/parts/GB_freq"
    with pytest.raises(KeyboardInterrupt):
        run_chain(load_config(cfg), _InterruptAfter(parts, 2))  # type: ignore[arg-type]
    assert sorted(p.name for p in parts.glob("done*")) == ["done000000.pickle", "done000001.pickle"]
    assert not (tmp_path / "out/GB/freq").exists()  # no partial package
    assert [p.name for p in (tmp_path / "out/GB").iterdir()] == ["qc"]
    steps = run_steps(cfg)
    assert steps == {"FI qc": "unchanged", "FI freq": "unchanged", "GB qc": "unchanged",
                     "GB freq": "resumed (2 of 4 partitions kept)", "merge europe": "done"}
    assert not parts.exists()  # kept partitions are removed once the package is published
    # The resumed package is the same, byte for byte, as one made in a single go.
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    shutil.copytree(tmp_path / "cohort", fresh / "cohort")
    shutil.copy(cfg, fresh / "run.toml")
    assert set(run_steps(fresh / "run.toml").values()) == {"done"}
    for name in ("sites.vcf.gz", "sites.vcf.gz.tbi", "frequencies.parquet"):
        assert (tmp_path / "out/GB/freq" / name).read_bytes() == (fresh / "out/GB/freq" / name).read_bytes(), name


def test_partitions_of_another_fingerprint_are_discarded(tmp_path: Path) -> None:
    from goe.engine.resume import Resume

    old = Resume(tmp_path / "parts", "a" * 64)
    old.open()
    old.save(0, ("20", 1, None), "result", 7)
    assert old.load(0, ("20", 1, None)) == ("result", 7)
    assert old.load(0, ("20", 2, None)) is None  # another region under the same number
    new = Resume(tmp_path / "parts", "b" * 64)
    new.open()
    assert new.load(0, ("20", 1, None)) is None
    assert [p.name for p in (tmp_path / "parts").iterdir()] == ["fingerprint.txt"]
