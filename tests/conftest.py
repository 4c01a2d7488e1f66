"""Shared fixtures. Tests never touch the user's real data or config: every test gets its own
data dir and an empty config file; converted embedding models are cached once per run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(autouse=True)
def isolated_dirs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model_cache: Path
) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data))
    monkeypatch.setenv("ASSISTANT_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("ASSISTANT_MODEL_CACHE_DIR", str(model_cache))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    return data


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A writable copy of seeds/ for tests that change, add or remove files."""
    dest = tmp_path / "seeds"
    shutil.copytree(SEEDS, dest)
    return dest
