"""Shared fixtures: configs built from the default design with small changes."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = ROOT / "configs" / "successor2.toml"


@pytest.fixture(scope="session")
def default_text() -> str:
    return DEFAULT_CONFIG.read_text()
