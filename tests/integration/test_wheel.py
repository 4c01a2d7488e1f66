"""A non-editable install carries its prompts and seed articles: build the wheel, unpack it and
answer a question from the unpacked copy alone (no source checkout on the path)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def test_the_wheel_ships_prompts_and_seeds_and_answers_from_them(tmp_path: Path) -> None:
    pytest.importorskip("setuptools")
    source = tmp_path / "src"  # a copy: an in-tree build would leave build/ in the checkout
    for name in ("assistant", "tui", "evals", "prompts", "seeds"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy(ROOT / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-cache-dir", "-q", "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for name in ("answer_system.txt", "answer_user.txt", "passage.txt", "rewrite.txt"):
        assert f"assistant/_data/prompts/{name}" in names
    seeds = sorted(p.name for p in (ROOT / "seeds").iterdir())
    assert [n.rpartition("/")[2] for n in names if n.startswith("assistant/_data/seeds/")] == seeds

    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    work = tmp_path / "cwd"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "ASSISTANT_DATA_DIR": str(tmp_path / "data")}
    env.pop("ASSISTANT_SEEDS_DIR", None)
    where = subprocess.run(
        [sys.executable, "-c", "import assistant.settings as s, assistant.prompts as p; "
         "c = s.load_settings(); print(s.__file__, c.seeds_dir, c.prompts_dir, "
         "p.load_prompts().rewrite.path, sep='\\n')"],
        capture_output=True, text=True, env=env, cwd=work, timeout=60,
    )  # fmt: skip
    assert where.returncode == 0, where.stderr
    for line in where.stdout.split():
        assert Path(line).is_relative_to(site / "assistant"), where.stdout
    asked = subprocess.run(
        [sys.executable, "-m", "assistant", "ask",
         "Where will the 14th China-US Tourism Leadership Summit be held?"],
        capture_output=True, text=True, env=env, cwd=work, timeout=300,
    )  # fmt: skip
    assert asked.returncode == 0, asked.stderr
    assert f"ingesting the seed articles from {site / 'assistant' / '_data' / 'seeds'}" in (
        asked.stderr
    )
    assert "Xi’an" in asked.stdout and "Sources:" in asked.stdout
