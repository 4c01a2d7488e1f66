"""The promptfoo example config runs, when promptfoo is already installed (never installed
here: npm is slow and the example is documentation first)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EXAMPLES = ROOT / "evals" / "examples"


def _promptfoo() -> list[str] | None:
    if shutil.which("promptfoo"):
        return ["promptfoo"]
    if not shutil.which("npx"):
        return None
    try:
        probe = subprocess.run(
            ["npx", "--no-install", "promptfoo", "--version"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        return None
    return ["npx", "--no-install", "promptfoo"] if probe.returncode == 0 else None


def test_the_example_config_passes(tmp_path: Path) -> None:
    command = _promptfoo()
    if command is None:
        pytest.skip("promptfoo is not installed (npx --no-install promptfoo fails); not installing")
    out = tmp_path / "results.json"
    env = {
        **os.environ,
        "ASSISTANT_PYTHON": sys.executable,
        "PYTHONPATH": str(ROOT),
        "PROMPTFOO_DISABLE_TELEMETRY": "1",
    }
    run = subprocess.run(
        [*command, "eval", "-c", "promptfooconfig.yaml", "--no-cache", "-o", str(out)],
        cwd=EXAMPLES,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    stats = json.loads(out.read_text())["results"]["stats"]
    assert stats["successes"] == 3 and stats["failures"] == 0


def test_the_exec_wrapper_prints_the_answer_json() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(EXAMPLES / "promptfoo_ask.py"),
            "Who met John Kerry via video link?",
            "{}",
            "{}",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "ASSISTANT_PYTHON": sys.executable, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["citations"] and not data["refused"]
