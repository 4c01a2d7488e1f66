"""Two processes on one store: questions keep being answered while an ingest writes, and a
second ingest is refused with one line instead of corrupting anything."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEEDS

pytestmark = pytest.mark.slow


def _generate(folder: Path, count: int) -> None:
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    sentences = [s.strip() + "." for s in text.replace("\n", " ").split(". ") if len(s) > 40]
    rnd = random.Random(7)
    folder.mkdir()
    for i in range(count):
        body = "\n\n".join(" ".join(rnd.sample(sentences, 4)) for _ in range(6))
        (folder / f"gen_{i:04d}.txt").write_text(f"Generated {i}\nSource: Gen Times\n\n{body}\n")


def _assistant(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data)}
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )


def test_questions_are_answered_during_an_ingest(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _assistant(data, "ingest", str(SEEDS)).returncode == 0
    _generate(tmp_path / "more", 120)
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data)}
    writer = subprocess.Popen(
        [sys.executable, "-m", "assistant", "ingest", str(tmp_path / "more")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        while not (data / "ingest.lock").exists() or not (data / "ingest.lock").read_text():
            assert writer.poll() is None, writer.communicate()
            time.sleep(0.1)
        busy = _assistant(data, "ingest", str(tmp_path / "more"))
        assert busy.returncode == 5
        assert "another ingest is running" in busy.stderr
        answers = [
            _assistant(
                data, "ask", "Where will the 14th China-US Tourism Leadership Summit be held?"
            )
            for _ in range(2)
        ]
        assert writer.poll() is None, "the ingest finished too soon to overlap the questions"
    finally:
        _out, err = writer.communicate(timeout=300)
    assert writer.returncode == 0, err
    for answer in answers:
        assert answer.returncode == 0, answer.stderr
        assert "Xi’an" in answer.stdout
    after = _assistant(data, "ask", "--json", "Who met John Kerry via video link?")
    assert after.returncode == 0, after.stderr
