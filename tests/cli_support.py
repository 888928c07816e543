"""Shared helpers of the CLI tests: goe sample sheets from the 1000 Genomes files, running goe.

The ``*.samples.tsv`` files in ``tests/data/1kg`` are IGSR-style (population,
no country); :func:`write_sheet` turns them into goe sample sheets with an
ISO country per population. Nothing here writes under ``tests/data``.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from typer.testing import CliRunner, Result

from goe.cli.main import app

DATA = Path(__file__).parent / "data"
KG = DATA / "1kg"

# 1000 Genomes population -> ISO 3166-1 alpha-2 of where it was sampled.
POP_COUNTRY = {
    "GBR": "GB", "FIN": "FI", "IBS": "ES", "TSI": "IT", "CEU": "US", "ACB": "BB", "ASW": "US",
    "CHB": "CN", "CLM": "CO", "GIH": "US", "JPT": "JP", "LWK": "KE", "MXL": "US", "PUR": "PR",
    "YRI": "NG", "KHV": "VN", "BEB": "BD", "CHS": "CN", "ESN": "NG", "MSL": "SL", "STU": "GB",
}

SMALL_VCF = KG / "nygc2020_chr22_grch38.vcf.gz"  # 100 records, 100 samples, GRCh38, GQ/DP/AD
SMALL_SAMPLES = KG / "nygc2020_chr22_grch38.samples.tsv"
PACKAGE_FILES = {"sites.vcf.gz", "sites.vcf.gz.tbi", "frequencies.parquet", "manifest.json"}


def igsr_rows(samples_tsv: Path) -> list[dict[str, str]]:
    """Rows of a ``tests/data/1kg/*.samples.tsv`` file."""
    with samples_tsv.open(newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def write_sheet(
    dest: Path,
    samples_tsv: Path = SMALL_SAMPLES,
    *,
    delimiter: str = "\t",
    vcf_ids: bool = False,
    strata: bool = True,
) -> Path:
    """A goe sample sheet (sample_id, sex, country[, vcf_sample_id][, population]) at ``dest``."""
    header = ["sample_id", "sex", "country"]
    if vcf_ids:
        header.append("vcf_sample_id")
    if strata:
        header.append("population")
    lines = [delimiter.join(header)]
    for r in igsr_rows(samples_tsv):
        row = [r["sample_id"], r["sex"], POP_COUNTRY[r["population"]]]
        if vcf_ids:
            row.append(r["vcf_sample_id"])
        if strata:
            row.append(r["population"])
        lines.append(delimiter.join(row))
    dest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dest


def run_goe(args: Sequence[str | Path]) -> Result:
    """``goe ARGS`` in-process, with stdout and stderr captured separately.

    GOE_DEBUG is unset for the run, so errors are one line even when the
    developer's shell sets it.
    """
    return CliRunner(env={"GOE_DEBUG": None}).invoke(app, [str(a) for a in args])


def sh(*cmd: str | Path) -> None:
    """Run a tool; fail with its stderr when it fails."""
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} failed: {proc.stderr}")


def leftovers(out: Path) -> list[Path]:
    """Staging (``.NAME.goe-tmp-*``) or old-package folders left beside ``out``."""
    parent = out.parent
    if not parent.is_dir():
        return []
    return sorted(p for p in parent.iterdir() if p.name.startswith(f".{out.name}.goe-"))


HAIL = KG / "hail_sample.vcf.gz"  # GRCh37, 100 samples, 346 records


def hail_package(tmp: Path) -> Path:
    """``goe freq`` on hail_sample (GRCh37) as ``tmp/pkg``: sample_id = the VCF columns, IGSR sex, all DE."""
    with (KG / "hail_sample.samples.tsv").open() as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    sheet = tmp / "sheet.tsv"
    sheet.write_text("sample_id\tsex\tcountry\n" + "".join(f"{r['vcf_sample_id']}\t{r['sex']}\tDE\n" for r in rows))
    result = CliRunner(env={"GOE_DEBUG": None, "GOE_DASK_SCHEDULER": None}).invoke(app, [
        "freq", str(HAIL), "--samples", str(sheet), "--out", str(tmp / "pkg"), "--assembly", "GRCh37", "--quiet",
        "-j", "1"])
    assert result.exit_code == 0, result.output
    return tmp / "pkg"


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def example_run(tmp_path: Path, config: str) -> Path:
    """``config`` as ``tmp_path/run.toml`` next to a copy of examples/cohort (its paths are relative to it)."""
    shutil.copytree(EXAMPLES / "cohort", tmp_path / "cohort")
    cfg = tmp_path / "run.toml"
    cfg.write_text(config, encoding="utf-8")
    return cfg


def run_steps(cfg: Path | str, *extra: str) -> dict[str, str]:
    """``goe run CFG --json``: each step's status ("done", "unchanged", ...)."""
    result = CliRunner().invoke(app, ["run", str(cfg), "--json", *extra])
    assert result.exit_code == 0, result.output
    return {row["step"]: row["status"] for row in json.loads(result.stdout)}
