"""The README documents every command, and its example command lines work."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from goe.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _bash_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL)


def _goe_blocks() -> list[list[str]]:
    """The ``goe ...`` lines of each bash block (blocks without any are left out)."""
    blocks = []
    for block in _bash_blocks(README):
        lines = [ln.split("  #")[0].strip() for ln in block.splitlines()]
        lines = [ln for ln in lines if ln.startswith("goe ")]
        if lines:
            blocks.append(lines)
    return blocks


def _goe_lines() -> list[str]:
    return [line for block in _goe_blocks() for line in block]


def _available_commands() -> list[str]:
    return sorted(get_command(app).commands)  # type: ignore[attr-defined]


def test_every_command_is_documented_with_an_example() -> None:
    examples = _goe_lines()
    for name in _available_commands():
        assert f"`goe {name}`" in README, f"goe {name} is not described in the README"
        assert any(line.startswith(f"goe {name} ") for line in examples), f"no README example runs goe {name}"


def test_the_two_setup_commands_come_first() -> None:
    first_block = _bash_blocks(README)[0]
    assert "make demo" in first_block
    assert "make test" in first_block


@pytest.mark.parametrize("block", _goe_blocks(), ids=lambda b: b[0][:40])
def test_readme_examples_run(block: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Each block runs in order from a scratch folder holding a copy of examples/.
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    for line in block:
        result = CliRunner().invoke(app, shlex.split(line)[1:])
        assert result.exit_code == 0, f"{line}\n{result.output}"
