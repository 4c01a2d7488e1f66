"""Hostile and careless use of the real `assistant` command: each bad input ends in one line
and a documented exit code, never a crash (70) or a segfault (139)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def assistant(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=timeout,
    )


def test_ask_on_an_empty_index_exits_cleanly_not_with_a_segfault(tmp_path: Path) -> None:
    for _ in range(2):  # it crashed 4 of 4 times; twice is enough to catch a regression
        out = assistant("ask", "x", env={"ASSISTANT_SEEDS_DIR": str(tmp_path / "none")})
        assert out.returncode == 3, out.stderr
        assert out.stderr.count("assistant: error:") == 1
