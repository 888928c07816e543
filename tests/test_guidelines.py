"""Guideline profiles (goe.guidelines.profile): the bundled draft, validation, Check semantics."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pytest

from goe.errors import GuidelineError
from goe.guidelines.profile import (
    COMPARATORS,
    DEFAULT_PROFILE,
    LEVELS,
    SEVERITIES,
    Check,
    available_profiles,
    load_profile,
)

# ------------------------------------------------------------------ the bundled profile


def test_bundled_profile_loads() -> None:
    assert DEFAULT_PROFILE == "1mg-proof-draft"
    assert DEFAULT_PROFILE in available_profiles()
    profile = load_profile("1mg-proof-draft")
    assert load_profile() == profile  # the default
    assert profile.name == "1mg-proof-draft"
    assert profile.status == "draft"
    assert profile.version
    raw = Path(profile.source_path).read_bytes()
    assert profile.sha256 == hashlib.sha256(raw).hexdigest()
    assert profile.summary() == {"name": profile.name, "version": profile.version, "status": "draft",
                                 "sha256": profile.sha256}


def test_bundled_checks_are_sourced_and_unique() -> None:
    profile = load_profile(DEFAULT_PROFILE)
    assert len(profile.checks) >= 5
    ids = [c.id for c in profile.checks]
    assert len(ids) == len(set(ids))
    for c in profile.checks:
        assert c.source.strip(), c.id
        assert c.level in LEVELS
        assert c.severity in SEVERITIES
        assert c.comparator in COMPARATORS
        if c.level == "variant":
            assert c.filter
    filters = [c.filter for c in profile.level("variant")]
    assert len(filters) == len(set(filters))
    gq = profile.check("genotype.gq")
    assert gq is not None
    assert gq.metric == "FORMAT/GQ"
    assert profile.check("no.such.check") is None
    assert {c.id for c in profile.level("genotype")} >= {"genotype.gq", "genotype.dp"}


def test_load_by_path(tmp_path: Path) -> None:
    src = Path(load_profile(DEFAULT_PROFILE).source_path)
    copy = tmp_path / "mine.toml"
    copy.write_bytes(src.read_bytes())
    profile = load_profile(copy)
    assert profile.checks == load_profile(DEFAULT_PROFILE).checks
    assert profile.source_path == str(copy)


# ------------------------------------------------------------------ malformed profiles

META = '[profile]\nname = "p"\nversion = "1"\n'


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return json.dumps(value)
    return str(value)  # numbers and lists of numbers


def check(**fields: object) -> str:
    """One [[checks]] table; a field given as None is left out."""
    base: dict[str, object] = {"id": "sample.x", "level": "sample", "metric": "M", "comparator": ">=",
                               "threshold": 1, "severity": "fail", "source": "somewhere"}
    base.update(fields)
    return "[[checks]]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in base.items() if v is not None)


BAD = [
    ("no-profile-table", check(), "{p}: missing [profile] table; see guidelines/README.md"),
    ("profile-not-a-table", 'profile = "p"\n' + check(), "{p}: missing [profile] table; see guidelines/README.md"),
    ("profile-without-name", '[profile]\nversion = "1"\n' + check(), "{p}: [profile] needs a 'name' string"),
    ("version-not-a-string", '[profile]\nname = "p"\nversion = 1\n' + check(),
     "{p}: [profile] needs a 'version' string"),
    ("no-checks", META, "{p}: no [[checks]] defined"),
    ("unknown-key", META + check(thresold=3), "{p}: check 1 (sample.x): unknown key(s) thresold"),
    ("no-source", META + check(source=None), "{p}: check 1 (sample.x): 'source' is required (a non-empty string)"),
    ("blank-source", META + check(source="  "),
     "{p}: check 1 (sample.x): 'source' is required (a non-empty string)"),
    ("no-id", META + check(id=None), "{p}: check 1 (?): 'id' is required (a non-empty string)"),
    ("duplicate-id", META + check() + check(), "{p}: check 2 (sample.x): duplicate id 'sample.x'"),
    ("bad-level", META + check(level="site"),
     "{p}: check 1 (sample.x): level 'site' is not one of sequencing, sample, genotype, variant, cohort"),
    ("bad-severity", META + check(severity="error"), "{p}: check 1 (sample.x): severity 'error' is not fail or warn"),
    ("bad-comparator", META + check(comparator="=>"),
     "{p}: check 1 (sample.x): comparator '=>' is not one of " + " ".join(COMPARATORS)),
    ("threshold-missing", META + check(threshold=None), "{p}: check 1 (sample.x): threshold must be a number"),
    ("threshold-string", META + check(threshold="20"), "{p}: check 1 (sample.x): threshold must be a number"),
    ("threshold-bool", META + check(threshold=True), "{p}: check 1 (sample.x): threshold must be a number"),
    ("between-scalar", META + check(comparator="between", threshold=0.5),
     "{p}: check 1 (sample.x): 'between' needs threshold = [low, high]"),
    ("between-reversed", META + check(comparator="between", threshold=[0.8, 0.2]),
     "{p}: check 1 (sample.x): 'between' needs threshold = [low, high]"),
    ("between-three", META + check(comparator="between", threshold=[0.1, 0.2, 0.3]),
     "{p}: check 1 (sample.x): 'between' needs threshold = [low, high]"),
    ("variant-without-filter", META + check(level="variant"),
     "{p}: check 1 (sample.x): a variant check needs a 'filter' name (letters, digits, _ or .)"),
    ("variant-bad-filter", META + check(level="variant", filter="Low QD"),
     "{p}: check 1 (sample.x): a variant check needs a 'filter' name (letters, digits, _ or .)"),
    ("check-not-a-table", 'checks = ["gq >= 20"]\n' + META,
     "{p}: check 1 is not a table; write each check as a [[checks]] table"),
    ("second-check-not-a-table", 'checks = [{id = "a", level = "sample", metric = "M", comparator = ">=", '
     'threshold = 1, severity = "fail", source = "s"}, 3]\n' + META,
     "{p}: check 2 is not a table; write each check as a [[checks]] table"),
    # NaN never compares true: a check with it could never pass, or never fail
    ("threshold-nan", META + check(threshold=math.nan), "{p}: check 1 (sample.x): threshold must be a number"),
    ("between-nan-low", META + check(comparator="between", threshold=[math.nan, 1.0]),
     "{p}: check 1 (sample.x): 'between' needs threshold = [low, high]"),
    ("between-nan-high", META + check(comparator="between", threshold=[0.0, math.nan]),
     "{p}: check 1 (sample.x): 'between' needs threshold = [low, high]"),
]


@pytest.mark.parametrize(("text", "message"), [(t, m) for _, t, m in BAD], ids=[i for i, _, _ in BAD])
def test_malformed_profiles(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(GuidelineError) as err:
        load_profile(path)
    assert str(err.value) == message.format(p=path)


def test_not_toml_and_not_found(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[profile\n")
    with pytest.raises(GuidelineError, match=r"bad\.toml: not valid TOML \(Expected"):
        load_profile(path)
    path.write_bytes(b'[profile]\nname = "\xff"\n')
    with pytest.raises(GuidelineError, match=r"bad\.toml: not valid TOML \('utf-8' codec"):
        load_profile(path)
    with pytest.raises(GuidelineError) as err:
        load_profile("no-such-profile")
    assert str(err.value) == (
        "guideline profile 'no-such-profile' not found; give a TOML file or one of: 1mg-proof-draft")


# ------------------------------------------------------------------ Check.passes


def _check(comparator: str, threshold: float | tuple[float, float]) -> Check:
    return Check("x", "sample", "M", comparator, threshold, "fail", "src")


VALUES = np.array([1.0, 2.0, 3.0, np.nan])


@pytest.mark.parametrize(
    ("comparator", "expected"),
    [("<", [True, False, False, True]), ("<=", [True, True, False, True]), (">", [False, False, True, True]),
     (">=", [False, True, True, True]), ("==", [False, True, False, True]), ("!=", [True, False, True, True])],
)
def test_passes_comparators(comparator: str, expected: list[bool]) -> None:
    assert _check(comparator, 2).passes(VALUES).tolist() == expected


def test_between_is_inclusive_and_nan_passes() -> None:
    c = _check("between", (0.2, 0.8))
    values = [0.1, 0.2, 0.5, 0.8, 0.81, math.nan, -math.inf, math.inf]
    assert c.passes(np.array(values)).tolist() == [False, True, True, True, False, True, False, False]
    assert c.describe_threshold() == "between 0.2 and 0.8"


def test_passes_accepts_lists_ints_and_scalars() -> None:
    c = _check(">=", 20)
    assert c.passes([19, 20, 21]).tolist() == [False, True, True]
    assert bool(c.passes(np.float64(math.nan)))
    assert c.passes(np.array([], dtype=float)).shape == (0,)
    assert c.describe_threshold() == ">= 20"
    assert _check("<", 1e-6).describe_threshold() == "< 1e-06"


def test_bundled_checks_behave() -> None:
    profile = load_profile(DEFAULT_PROFILE)
    gq = profile.check("genotype.gq")
    ab = profile.check("genotype.allele_balance")
    assert gq is not None
    assert ab is not None
    assert gq.passes(np.array([19, 20, np.nan])).tolist() == [False, True, True]
    assert ab.passes(np.array([0.19, 0.2, 0.5, 0.8, 0.81])).tolist() == [False, True, True, True, False]
