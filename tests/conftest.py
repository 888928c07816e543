"""Shared fixtures: test data paths and reference-tool discovery.

A test that needs bcftools/tabix/plink2 asks for the ``bcftools`` (etc.)
fixture. Without the tool it skips with a reason; with GOE_REQUIRE_TOOLS=1
(as CI sets) a missing tool fails the test instead.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
KG = DATA / "1kg"
REQUIRE_TOOLS = os.environ.get("GOE_REQUIRE_TOOLS", "") not in ("", "0")


def require_tool(name: str) -> str:
    """Path of ``name`` on PATH; skip (or fail under GOE_REQUIRE_TOOLS=1) when missing."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not on PATH (install it, e.g. apt-get install {name})"
        if REQUIRE_TOOLS:
            pytest.fail(f"GOE_REQUIRE_TOOLS=1 but {message}")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def bcftools() -> str:
    return require_tool("bcftools")


@pytest.fixture(scope="session")
def tabix() -> str:
    return require_tool("tabix")


@pytest.fixture(scope="session")
def plink2() -> str:
    return require_tool("plink2")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def samtools() -> str:
    return require_tool("samtools")
