"""The `goe run` configuration (TOML), validated into plain dataclasses.

Paths are relative to the config file's folder. Example: examples/run.toml.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goe.errors import InputError, UsageError
from goe.vcf.partition import parse_size

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class ConfigError(InputError):
    """The run configuration is missing something or has an unknown key."""


@dataclass(frozen=True)
class CohortConfig:
    """One national cohort: QC, then frequencies of the samples that pass."""

    name: str
    vcf: Path
    samples: Path
    country: str | None = None
    metrics: tuple[Path, ...] = ()
    callable: Path | None = None
    keep: Path | None = None
    qc: bool = True
    min_allele_count: int = 0
    mask: bool = True


@dataclass(frozen=True)
class MergeConfig:
    """The merge of the cohorts' packages (and packages from elsewhere)."""

    name: str = "merged"
    packages: tuple[Path, ...] = ()
    reference: Path | None = None
    min_allele_count: int = 0
    allow_mixed_guidelines: bool = False


@dataclass(frozen=True)
class RunConfig:
    """A whole run."""

    path: Path
    out: Path
    assembly: str = "GRCh38"
    guidelines: str | None = None
    workers: int | None = None
    scheduler: str | None = None
    partition_bytes: int | None = None
    cohorts: tuple[CohortConfig, ...] = ()
    merge: MergeConfig | None = None
    extra: dict[str, Any] = field(default_factory=dict)


_RUN = {"out", "assembly", "guidelines", "workers", "scheduler", "partition_size"}
_COHORT = {"name", "vcf", "samples", "country", "metrics", "callable", "keep", "qc", "min_allele_count", "mask"}
_MERGE = {"name", "packages", "reference", "min_allele_count", "allow_mixed_guidelines"}


def _check_keys(table: dict[str, Any], allowed: set[str], where: str, path: Path) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(
            f"{path}: unknown key '{unknown[0]}' in {where}", hint=f"known keys: {', '.join(sorted(allowed))}"
        )


def load_config(path: Path) -> RunConfig:
    """Read and validate a run configuration."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    base = path.parent
    unknown = sorted(set(data) - {"run", "cohort", "merge"})
    if unknown:
        raise ConfigError(f"{path}: unknown table [{unknown[0]}]", hint="use [run], [[cohort]] and [merge]")
    run = data.get("run", {})
    _check_keys(run, _RUN, "[run]", path)
    if "out" not in run:
        raise ConfigError(f"{path}: [run] needs 'out', the folder for every step's results")

    def p(v: str) -> Path:
        return Path(os.path.normpath(base / v)) if not Path(v).is_absolute() else Path(v)

    cohorts = []
    names: set[str] = set()
    for i, c in enumerate(data.get("cohort", []), start=1):
        _check_keys(c, _COHORT, f"[[cohort]] {i}", path)
        for key in ("name", "vcf", "samples"):
            if key not in c:
                raise ConfigError(f"{path}: [[cohort]] {i} needs '{key}'")
        if c["name"] in names:
            raise ConfigError(f"{path}: two cohorts are named '{c['name']}'", hint="give each cohort its own name")
        names.add(c["name"])
        cohorts.append(CohortConfig(
            c["name"], p(c["vcf"]), p(c["samples"]), c.get("country"), tuple(p(m) for m in c.get("metrics", [])),
            p(c["callable"]) if c.get("callable") else None, p(c["keep"]) if c.get("keep") else None,
            bool(c.get("qc", True)), int(c.get("min_allele_count", 0)), bool(c.get("mask", True)),
        ))
    merge = None
    if "merge" in data:
        m = data["merge"]
        _check_keys(m, _MERGE, "[merge]", path)
        merge = MergeConfig(m.get("name", "merged"), tuple(p(x) for x in m.get("packages", [])),
                            p(m["reference"]) if m.get("reference") else None, int(m.get("min_allele_count", 0)),
                            bool(m.get("allow_mixed_guidelines", False)))
    if not cohorts and merge is None:
        raise ConfigError(f"{path}: nothing to run", hint="add [[cohort]] tables and/or a [merge] table")
    part_bytes = None
    if "partition_size" in run:
        try:
            part_bytes = parse_size(str(run["partition_size"]), "partition_size =")
        except UsageError as exc:
            raise ConfigError(f"{path}: [run] {exc.message}", hint=exc.hint) from None
    return RunConfig(path, p(run["out"]), run.get("assembly", "GRCh38"), run.get("guidelines"),
                     run.get("workers"), run.get("scheduler"), part_bytes, tuple(cohorts), merge)
