"""The real app in a real terminal (tmux): the default extractive backend over the seeds,
a question typed the way a person types it, and the answer read back from the screen."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux (apt-get install tmux)"),
]

QUESTION = "Where will the 14th China-US Tourism Leadership Summit be held?"
TIMEOUT_S = 90


def tmux(*args: str) -> str:
    done = subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=30)
    return done.stdout


def screen(name: str) -> str:
    return tmux("capture-pane", "-p", "-t", name)


def wait_for(name: str, text: str, timeout: float, *, line_start: bool = False) -> str:
    """Poll the pane until ``text`` shows (at the start of a line, if ``line_start``)."""
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        shown = screen(name)
        lines = [line.strip() for line in shown.splitlines()]
        if any(line.startswith(text) for line in lines) if line_start else text in shown:
            return shown
        time.sleep(0.5)
    raise AssertionError(f"{text!r} did not appear within {timeout:.0f} s; the screen:\n{shown}")


def test_question_typed_in_tmux_gets_the_cited_answer(tmp_path: Path) -> None:
    name = f"assistant-test-{uuid.uuid4().hex[:8]}"
    env_vars = {
        "ASSISTANT_DATA_DIR": str(tmp_path / "data"),
        "ASSISTANT_CONFIG": str(tmp_path / "config.toml"),
        "ASSISTANT_MODEL_CACHE_DIR": os.environ.get("ASSISTANT_MODEL_CACHE_DIR", ""),
        "TERM": "xterm-256color",
    }
    exports = " ".join(f"{k}='{v}'" for k, v in env_vars.items() if v)
    command = f"cd '{ROOT}' && env {exports} '{sys.executable}' -m assistant chat"
    tmux("new-session", "-d", "-s", name, "-x", "100", "-y", "30", command)
    try:
        wait_for(name, "Enter sends", 30)  # the UI shows before the index is ready
        wait_for(name, "ready", TIMEOUT_S, line_start=True)  # the index is loaded
        for word in QUESTION.split(" "):
            tmux("send-keys", "-t", name, "-l", word + " ")
            time.sleep(0.05)
        tmux("send-keys", "-t", name, "Enter")
        shown = wait_for(name, "Xi", TIMEOUT_S)
        assert "Sources" in wait_for(name, "Sources", 30), shown
        assert "[1]" in screen(name)
        # alt+1 opens the latest answer's source [1]; Esc comes back to the box.
        tmux("send-keys", "-t", name, "M-1")
        wait_for(name, "Copy quote", 30)
        tmux("send-keys", "-t", name, "Escape")
        wait_for(name, "Sources", 30)
        # Type straight away; ctrl+j adds a line; Enter sends the next question.
        tmux("send-keys", "-t", name, "-l", "Who")
        tmux("send-keys", "-t", name, "C-j")
        tmux("send-keys", "-t", name, "-l", "met Kerry?")
        wait_for(name, "met Kerry?", 30)
        tmux("send-keys", "-t", name, "Enter")
        wait_for(name, "Enter sends", 30)  # sent: the box is empty again
        wait_for(name, "Kerry", TIMEOUT_S)
        wait_for(name, "ready", TIMEOUT_S, line_start=True)
        # Up in the empty box recalls the last question (both of its lines).
        tmux("send-keys", "-t", name, "Up")
        deadline = time.monotonic() + 30
        while "Enter sends" in screen(name) and time.monotonic() < deadline:
            time.sleep(0.2)
        box = "\n".join([line for line in screen(name).splitlines() if line.strip()][-5:])
        assert "Who" in box and "met Kerry?" in box, screen(name)
    finally:
        tmux("kill-session", "-t", name)
