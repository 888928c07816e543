"""The `goe run` configuration (TOML), validated into plain dataclasses.

Paths are relative to the config file's folder. Example: examples/run.toml.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goe.errors import AssemblyError, GuidelineError, InputError, UsageError
from goe.genome.assemblies import get_assembly
from goe.guidelines.profile import available_profiles, load_profile
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
# Names become folder and record-file names under [run] out, so no separators, spaces or leading dots.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
NAME_RULE = "use letters, digits, '_', '.' and '-', starting with a letter or digit"


def _check_keys(table: dict[str, Any], allowed: set[str], where: str, path: Path) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(
            f"{path}: unknown key '{unknown[0]}' in {where}", hint=f"known keys: {', '.join(sorted(allowed))}"
        )


class _Table:
    """One table of the config, read key by key with its type checked."""

    def __init__(self, data: dict[str, Any], where: str, path: Path, base: Path) -> None:
        self.data, self.where, self.path, self.base = data, where, path, base

    def error(self, what: str, hint: str | None = None) -> ConfigError:
        return ConfigError(f"{self.path}: {self.where}: {what}", hint=hint)

    def text(self, key: str, default: str | None = None) -> str | None:
        v = self.data.get(key, default)
        if v is not None and not isinstance(v, str):
            raise self.error(f"{key} must be a string", hint=f'put it in quotes: {key} = "..."')
        return v

    def count(self, key: str, default: int | None, minimum: int) -> int | None:
        v = self.data.get(key, default)
        # bool is an int in Python, but `workers = true` is a mistake, not 1.
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < minimum):
            raise self.error(f"{key} must be an integer {minimum} or more", hint=f"write it without quotes: {key} = 2")
        return v

    def flag(self, key: str, default: bool) -> bool:
        v = self.data.get(key, default)
        if not isinstance(v, bool):
            raise self.error(f"{key} must be true or false", hint=f"write it without quotes: {key} = false")
        return v

    def path_of(self, v: str) -> Path:
        # Absolute, so that fingerprints do not depend on the folder goe runs in.
        return Path(os.path.normpath(self.base / v))

    def file(self, key: str) -> Path | None:
        v = self.text(key)
        return self.path_of(v) if v else None

    def required(self, key: str) -> Path:
        v = self.file(key)
        if v is None:
            raise self.error(f"{key} must not be empty", hint=f"give a path: {key} = \"...\"")
        return v

    def files(self, key: str) -> tuple[Path, ...]:
        v = self.data.get(key, [])
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise self.error(f"{key} must be a list of paths", hint=f'e.g. {key} = ["a", "b"]')
        return tuple(self.path_of(x) for x in v)

    def name(self, key: str, default: str | None = None) -> str:
        v = self.text(key, default)
        if v is None:
            raise self.error(f"needs '{key}'")
        if not NAME.fullmatch(v):
            raise self.error(f"name '{v}' is not allowed", hint=NAME_RULE)
        return v


def _table(data: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    v = data.get(key, {})
    if not isinstance(v, dict):
        raise ConfigError(f"{path}: '{key}' must be a table", hint=f"write it as [{key}] with its keys below")
    return v


def _cohorts(data: dict[str, Any], path: Path, base: Path) -> list[CohortConfig]:
    raw = data.get("cohort", [])
    if not isinstance(raw, list) or not all(isinstance(c, dict) for c in raw):
        raise ConfigError(f"{path}: 'cohort' must be a list of tables",
                          hint="write each cohort as [[cohort]] (double brackets)")
    cohorts: list[CohortConfig] = []
    seen: dict[str, str] = {}
    for i, c in enumerate(raw, start=1):
        _check_keys(c, _COHORT, f"[[cohort]] {i}", path)
        for key in ("name", "vcf", "samples"):
            if key not in c:
                raise ConfigError(f"{path}: [[cohort]] {i} needs '{key}'")
        name = _Table(c, f"[[cohort]] {i}", path, base).name("name")
        t = _Table(c, f"[[cohort]] {i} ({name})", path, base)
        # Folders differ only by case on macOS and Windows, so FI and fi would share one.
        if name.lower() in seen:
            first = seen[name.lower()]
            what = (f"two cohorts are named '{name}'" if first == name
                    else f"cohorts '{first}' and '{name}' differ only by case")
            raise ConfigError(f"{path}: {what}", hint="give each cohort its own name")
        seen[name.lower()] = name
        cohorts.append(CohortConfig(
            name, t.required("vcf"), t.required("samples"), t.text("country"), t.files("metrics"),
            t.file("callable"), t.file("keep"),
            t.flag("qc", True), t.count("min_allele_count", 0, 0) or 0, t.flag("mask", True),
        ))
    return cohorts


def _merge(data: dict[str, Any], path: Path, base: Path, cohorts: list[CohortConfig]) -> MergeConfig | None:
    if "merge" not in data:
        return None
    m = _table(data, "merge", path)
    _check_keys(m, _MERGE, "[merge]", path)
    t = _Table(m, "[merge]", path, base)
    name = t.name("name", "merged")
    clash = [c.name for c in cohorts if c.name.lower() == name.lower()]
    if clash:
        raise t.error(f"name '{name}' is also a cohort's name, and both would write to the same folder",
                      hint="give the merge another name")
    return MergeConfig(name, t.files("packages"), t.file("reference"), t.count("min_allele_count", 0, 0) or 0,
                       t.flag("allow_mixed_guidelines", False))


def _guidelines(t: _Table) -> str | None:
    v = t.text("guidelines")
    if v is None:
        return None
    # A bundled profile name wins over a file of that name, as in load_profile.
    key = v if v in available_profiles() else str(t.path_of(v))
    try:
        load_profile(key)
    except GuidelineError as exc:
        raise t.error(f"guidelines: {exc.message}", hint=exc.hint) from None
    return key


def load_config(path: Path) -> RunConfig:
    """Read and validate a run configuration."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    base = Path(os.path.abspath(path)).parent
    unknown = sorted(set(data) - {"run", "cohort", "merge"})
    if unknown:
        raise ConfigError(f"{path}: unknown table [{unknown[0]}]", hint="use [run], [[cohort]] and [merge]")
    run = _table(data, "run", path)
    _check_keys(run, _RUN, "[run]", path)
    if "out" not in run:
        raise ConfigError(f"{path}: [run] needs 'out', the folder for every step's results")
    t = _Table(run, "[run]", path, base)
    cohorts = _cohorts(data, path, base)
    merge = _merge(data, path, base, cohorts)
    if not cohorts and merge is None:
        raise ConfigError(f"{path}: nothing to run", hint="add [[cohort]] tables and/or a [merge] table")
    part_bytes = None
    if "partition_size" in run:
        size = run["partition_size"]
        if isinstance(size, bool) or not isinstance(size, (str, int)):
            raise t.error("partition_size must be a size", hint='write it like "512K", "16M" or "1G"')
        try:
            part_bytes = parse_size(str(size), "partition_size =")
        except UsageError as exc:
            raise ConfigError(f"{path}: [run] {exc.message}", hint=exc.hint) from None
    out = t.required("out")
    assembly = t.text("assembly", "GRCh38") or "GRCh38"
    try:
        assembly = get_assembly(assembly).name
    except AssemblyError as exc:
        raise t.error(f"assembly: {exc.message}", hint='use assembly = "GRCh38" or "GRCh37"') from None
    return RunConfig(path, out, assembly, _guidelines(t), t.count("workers", None, 1), t.text("scheduler"),
                     part_bytes, tuple(cohorts), merge)
