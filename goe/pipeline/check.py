"""Checks of a whole run before any step starts, so that a mistake in the last
cohort does not surface only after the first cohorts' steps have run."""

from __future__ import annotations

from pathlib import Path

from goe.cohort.sheet import read_keep_list, read_sample_sheet
from goe.pipeline.config import ConfigError, RunConfig


def _exists(cfg: RunConfig, where: str, key: str, path: Path | None) -> None:
    if path is not None and not path.exists():
        raise ConfigError(f"{cfg.path}: {where}: {key} {path} not found",
                          hint="paths are relative to the config file's folder")


def check_run(cfg: RunConfig) -> None:
    """Raise :class:`ConfigError` for a missing input or a country in two cohorts."""
    owner: dict[str, str] = {}
    for i, c in enumerate(cfg.cohorts, start=1):
        where = f"[[cohort]] {i} ({c.name})"
        for key, path in (("vcf", c.vcf), ("samples", c.samples), ("callable", c.callable), ("keep", c.keep)):
            _exists(cfg, where, key, path)
        for m in c.metrics:
            _exists(cfg, where, "metrics", m)
        sheet = read_sample_sheet(c.samples)
        if c.keep is not None:
            sheet = sheet.restrict(read_keep_list(c.keep, sheet))
        countries = {c.country} if c.country else {s.country for s in sheet.samples}
        for country in sorted(countries):
            # The merge sums cohorts per country, so one country in two cohorts would count twice.
            if country in owner:
                raise ConfigError(
                    f"{cfg.path}: {where}: country {country} is also in cohort {owner[country]}",
                    hint="give each country's samples to one cohort (or restrict them with keep)",
                )
            owner[country] = c.name
    if cfg.merge is not None:
        for p in cfg.merge.packages:
            _exists(cfg, "[merge]", "packages", p)
        _exists(cfg, "[merge]", "reference", cfg.merge.reference)
