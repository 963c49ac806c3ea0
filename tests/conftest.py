"""Shared fixtures: the default config, as text and as a study."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = ROOT / "configs" / "successor2.toml"


@pytest.fixture(scope="session")
def default_text() -> str:
    return DEFAULT_CONFIG.read_text()


@pytest.fixture
def small_config(tmp_path, default_text):
    """The default config with 100-trial chunks, as a file."""
    path = tmp_path / "small.toml"
    path.write_text(default_text.replace("chunk_trials = 1000", "chunk_trials = 100"))
    return path


@pytest.fixture(scope="session")
def default_study():
    from seamless.config import load_study

    return load_study(DEFAULT_CONFIG)
