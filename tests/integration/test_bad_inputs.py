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


HOSTILE_TITLE = "Harbour strike ends\x1b]0;PWNED\x07"
HOSTILE_BODY = (
    f"{HOSTILE_TITLE}\n\nBy Staff Reporter\n\n"
    "The dock workers of Port Elrond ended their strike on Monday\x1b[2J after nine days, "
    "the union said.\u202e Wages will rise by four percent next year under the deal.\n\n"
    "The port authority said ships would sail again on Tuesday\x9b31m as cranes restarted.\n"
)


def raw_controls(text: str) -> list[str]:
    return [ch for ch in text if ch in "\x1b\x07\x9b\u202e\r"]


def test_escape_sequences_never_reach_the_terminal_and_stored_text_stays_exact(
    tmp_path: Path,
) -> None:
    import json

    folder = tmp_path / "arts"
    folder.mkdir()
    name = "evil\x1b[2J.txt"
    (folder / name).write_bytes(HOSTILE_BODY.encode("utf-8"))
    env = {"ASSISTANT_SEEDS_DIR": str(folder)}
    outputs = [assistant("ingest", str(folder), env=env)]
    question = "When did the dock workers of Port Elrond end their strike?"
    outputs.append(assistant("ask", "--session", "new", question, env=env))
    assert outputs[-1].returncode == 0, outputs[-1].stderr
    assert "\\x1b[2J" in outputs[-1].stdout  # shown, visibly escaped
    asked = assistant("ask", "--json", question, env=env)
    outputs += [asked, assistant("sources", env=env), assistant("sources", "--json", env=env)]
    session = outputs[1].stderr.split("(session ")[1].split(")")[0]
    for args in (["show", session], ["export", session], ["export", session, "-f", "json"]):
        outputs.append(assistant("sessions", *args, env=env))
    outputs.append(assistant("ingest", str(folder / "missing\x1b]0;x\x07.txt"), env=env))
    for out in outputs:
        assert not raw_controls(out.stdout + out.stderr), out.args

    citation = json.loads(asked.stdout)["citations"][0]
    text = HOSTILE_BODY
    assert text[citation["start"] : citation["end"]] == citation["quote"]
    listing = json.loads(outputs[4].stdout)
    assert listing[0]["title"] == HOSTILE_TITLE and listing[0]["id"] == name
    exported = json.loads(outputs[-2].stdout)
    assert exported["turns"][0]["answer"]["citations"][0]["quote"] == citation["quote"]



@pytest.mark.parametrize(
    ("args", "env", "code", "expected"),
    [
        (["ask", "--k", "abc", "x"], {}, 2, "Invalid value for '--k'"),
        (["ask", "--k", "500", "x"], {}, 2, "Invalid value for '--k'"),
        (["ask", "--backend", "foo", "x"], {}, 10, "answer.backend = 'foo' (command line"),
        (["config"], {"ASSISTANT_RETRIEVAL__K": "abc"}, 10, "ASSISTANT_RETRIEVAL__K"),
        (["sources"], {"ASSISTANT_STORE__PORT": "99999"}, 10, "ASSISTANT_STORE__PORT"),
        (["ask", "x"], {"ASSISTANT_OPENAI__TIMEOUT": "-5"}, 10, "greater than 0"),
        (["sessions", "list"], {"ASSISTANT_DATA_DIR": "/etc/passwd", "ASSISTANT_DEBUG": "0"},
         10, "takes a folder"),
        (["ask", "x"], {"ASSISTANT_DATA_DIR": "/proc/no-such-dir"}, 10,
         "cannot create the folder /proc/no-such-dir"),
        (["nosuch"], {}, 2, "No such command 'nosuch'"),
    ],
)  # fmt: skip
def test_bad_flags_and_settings_are_one_line(
    args: list[str], env: dict[str, str], code: int, expected: str
) -> None:
    out = assistant(*args, env=env)
    assert out.returncode == code, out.stderr
    assert out.stderr.startswith("assistant: error: ") and out.stderr.count("\n") == 1
    assert expected in out.stderr and "Traceback" not in out.stderr


def test_a_malformed_or_non_utf8_config_file_even_for_config(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    for content in (b"[retrieval\nk = 3\n", b"[answer]\nbackend = \"\xff\"\n"):
        path.write_bytes(content)
        out = assistant("config", env={"ASSISTANT_CONFIG": str(path)})
        assert out.returncode == 10, out.stderr
        assert out.stderr.count("\n") == 1 and str(path) in out.stderr
