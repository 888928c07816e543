"""Guideline profiles: versioned, sourced quality thresholds in TOML.

A profile is ``[profile]`` metadata plus ``[[checks]]``; each check has an
``id``, ``level``, ``metric``, ``comparator``, ``threshold``, ``severity`` and
``source``. A check *passes* when ``value <comparator> threshold``. Variant
checks also name the ``filter`` written to FILTER when they fail. The schema
is documented in ``guidelines/README.md``.
"""

from __future__ import annotations

import hashlib
import math
import re
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from goe.errors import GuidelineError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_PROFILE = "1mg-proof-draft"
LEVELS = ("sequencing", "sample", "genotype", "variant", "cohort")
SEVERITIES = ("fail", "warn")
COMPARATORS = ("<", "<=", ">", ">=", "==", "!=", "between", "within_mad")
SCOPES = ("cohort", "country")
_CHECK_KEYS = {
    "id", "level", "metric", "comparator", "threshold", "severity", "source",
    "description", "filter", "scope",
}
_FILTER_RE = re.compile(r"^[A-Za-z0-9_.]+$")


@dataclass(frozen=True)
class Check:
    """One guideline check."""

    id: str
    level: str
    metric: str
    comparator: str
    threshold: float | tuple[float, float]
    severity: str
    source: str
    description: str = ""
    filter: str | None = None
    scope: str = "cohort"

    def passes(self, values: np.ndarray) -> np.ndarray:
        """Vectorised: where ``values`` meet the check (NaN means "not assessed": passes).

        Integer arrays are compared as they are (no float copy); they hold no NaN.
        """
        v = np.asarray(values)
        if v.dtype.kind not in "iuf":
            v = v.astype(np.float64)
        with np.errstate(invalid="ignore"):
            if self.comparator == "between":
                lo, hi = self.threshold  # type: ignore[misc]
                ok = (v >= lo) & (v <= hi)
            elif self.comparator == "within_mad":
                raise ValueError("within_mad checks need the whole group: use goe.qc.decide")
            else:
                t = float(self.threshold)  # type: ignore[arg-type]
                ok = {
                    "<": v < t, "<=": v <= t, ">": v > t, ">=": v >= t, "==": v == t, "!=": v != t,
                }[self.comparator]
        return ok | np.isnan(v) if v.dtype.kind == "f" else ok

    def describe_threshold(self) -> str:
        """Human form, e.g. ``>= 20`` or ``between 0.2 and 0.8``."""
        if self.comparator == "between":
            lo, hi = self.threshold  # type: ignore[misc]
            return f"between {lo:g} and {hi:g}"
        if self.comparator == "within_mad":
            return f"within median +- {float(self.threshold):g} MAD ({self.scope})"  # type: ignore[arg-type]
        return f"{self.comparator} {float(self.threshold):g}"  # type: ignore[arg-type]


@dataclass(frozen=True)
class Profile:
    """A loaded guideline profile."""

    name: str
    version: str
    title: str
    status: str
    note: str
    checks: tuple[Check, ...]
    source_path: str
    sha256: str

    def check(self, check_id: str) -> Check | None:
        """The check with this id, or ``None`` when the profile leaves it out."""
        return next((c for c in self.checks if c.id == check_id), None)

    def level(self, level: str) -> tuple[Check, ...]:
        """All checks of one level, in file order."""
        return tuple(c for c in self.checks if c.level == level)

    def summary(self) -> dict[str, Any]:
        """What a manifest records about the profile."""
        return {"name": self.name, "version": self.version, "status": self.status, "sha256": self.sha256}


def _bundled_dir() -> Path | None:
    try:
        bundled = Path(str(resources.files("goe") / "_guidelines"))
        if bundled.is_dir():
            return bundled
    except (ModuleNotFoundError, TypeError):  # pragma: no cover
        pass
    repo = Path(__file__).resolve().parents[2] / "guidelines"
    return repo if repo.is_dir() else None


def available_profiles() -> dict[str, Path]:
    """Bundled profiles by name."""
    folder = _bundled_dir()
    if folder is None:
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.toml"))}


def load_profile(name_or_path: str | Path | None = None) -> Profile:
    """Load a bundled profile by name, or a TOML file by path; validate it fully."""
    key = str(name_or_path) if name_or_path is not None else DEFAULT_PROFILE
    bundled = available_profiles()
    path = bundled.get(key) or Path(key)
    if not path.is_file():
        names = ", ".join(bundled) or "none"
        raise GuidelineError(
            f"guideline profile '{key}' not found", hint=f"give a TOML file or one of: {names}"
        )
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise GuidelineError(f"{path}: not valid TOML ({exc})") from None
    return _parse(data, path, hashlib.sha256(raw).hexdigest())


def _parse(data: dict[str, Any], path: Path, digest: str) -> Profile:
    meta = data.get("profile")
    if not isinstance(meta, dict):
        raise GuidelineError(f"{path}: missing [profile] table", hint="see guidelines/README.md")
    for key in ("name", "version"):
        if not isinstance(meta.get(key), str) or not meta[key]:
            raise GuidelineError(f"{path}: [profile] needs a '{key}' string")
    raw_checks = data.get("checks", [])
    if not isinstance(raw_checks, list) or not raw_checks:
        raise GuidelineError(f"{path}: no [[checks]] defined")
    checks: list[Check] = []
    seen: set[str] = set()
    for i, c in enumerate(raw_checks, start=1):
        if not isinstance(c, dict):
            raise GuidelineError(f"{path}: check {i} is not a table", hint="write each check as a [[checks]] table")
        where = f"{path}: check {i} ({c.get('id', '?')})"
        unknown = set(c) - _CHECK_KEYS
        if unknown:
            raise GuidelineError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        for key in ("id", "level", "metric", "comparator", "severity", "source"):
            if not isinstance(c.get(key), str) or not c[key].strip():
                raise GuidelineError(f"{where}: '{key}' is required (a non-empty string)")
        if c["id"] in seen:
            raise GuidelineError(f"{where}: duplicate id '{c['id']}'")
        seen.add(c["id"])
        if c["level"] not in LEVELS:
            raise GuidelineError(f"{where}: level '{c['level']}' is not one of {', '.join(LEVELS)}")
        if c["severity"] not in SEVERITIES:
            raise GuidelineError(f"{where}: severity '{c['severity']}' is not fail or warn")
        if c["comparator"] not in COMPARATORS:
            raise GuidelineError(f"{where}: comparator '{c['comparator']}' is not one of {' '.join(COMPARATORS)}")
        threshold = _threshold(c.get("threshold"), c["comparator"], where)
        flt = c.get("filter")
        if c["level"] == "variant" and (not isinstance(flt, str) or not _FILTER_RE.match(flt)):
            raise GuidelineError(f"{where}: a variant check needs a 'filter' name (letters, digits, _ or .)")
        scope = c.get("scope", "cohort")
        if scope not in SCOPES:
            raise GuidelineError(f"{where}: scope '{scope}' is not one of {', '.join(SCOPES)}")
        checks.append(
            Check(c["id"], c["level"], c["metric"], c["comparator"], threshold, c["severity"],
                  c["source"], c.get("description", ""), flt, scope)
        )
    return Profile(
        str(meta["name"]), str(meta["version"]), str(meta.get("title", meta["name"])),
        str(meta.get("status", "")), str(meta.get("note", "")), tuple(checks), str(path), digest,
    )


def _threshold(value: Any, comparator: str, where: str) -> float | tuple[float, float]:
    if comparator == "between":
        if (
            not isinstance(value, list) or len(value) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
            or any(math.isnan(v) for v in value)
            or value[0] > value[1]
        ):
            raise GuidelineError(f"{where}: 'between' needs threshold = [low, high]")
        return (float(value[0]), float(value[1]))
    if not isinstance(value, int | float) or isinstance(value, bool) or math.isnan(value):
        raise GuidelineError(f"{where}: threshold must be a number")
    return float(value)
