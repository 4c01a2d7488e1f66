"""`assistant ask` as a user runs it: a real process over a real index in a temp data dir,
and model endpoints played by small HTTP servers on 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEEDS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One index for the module, built by the first `ask` (seeds ingested on first use)."""
    return tmp_path_factory.mktemp("ask-data")


def run(
    data_dir: Path,
    *args: str,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "assistant", "ask", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        cwd=ROOT,
        timeout=timeout,
    )


def file_text(article_id: str) -> str:
    return (SEEDS / article_id).read_bytes().decode("utf-8")


def test_first_call_ingests_the_seeds_then_answers_with_a_verified_quote(data_dir: Path) -> None:
    out = run(data_dir, "Where will the 14th China-US Tourism Leadership Summit be held?")
    assert out.returncode == 0, out.stderr
    assert "ingesting the seed articles" in out.stderr
    assert "Xi’an" in out.stdout
    assert "Sources:" in out.stdout
    assert 'Global Times, "US urged to honor words after Blinken' in out.stdout


def test_json_output_is_the_documented_schema_with_verifiable_offsets(data_dir: Path) -> None:
    out = run(data_dir, "--json", "Where will the 14th China-US Tourism Leadership Summit be held?")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["schema_version"] == 1
    assert data["refused"] is False
    assert data["backend"] == "extractive"
    citation = data["citations"][0]
    assert citation["article_id"] == "001_5afc2ed96cba7e86.txt"
    assert citation["outlet"] == "Global Times"
    assert citation["title"].startswith("US urged to honor words")
    assert (
        file_text(citation["article_id"])[citation["start"] : citation["end"]] == citation["quote"]
    )
    assert data["evidence"] and {"retrieve_s", "total_s"} <= data["timings"].keys()


@pytest.mark.parametrize(
    "question", ["What did Angela Merkel tell Xi Jinping?", "What did John Kerry say about Taiwan?"]
)
def test_uncovered_questions_are_refused_with_exit_zero(data_dir: Path, question: str) -> None:
    out = run(data_dir, "--json", question)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["refused"] is True
    assert data["citations"] == []
    assert data["refusal_reason"]


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["   "], None, "the question is empty"),
        (["-"], "x" * 1_000_000, "characters; the limit is"),
        (["-"], "\n\t \n", "the question is empty"),
        (["--since", "yesterday", "q?"], None, "--since takes a date"),
        (["--session", "nope", "q?"], None, "no saved session"),
    ],
    ids=["blank", "one-megabyte-stdin", "blank-stdin", "bad-date", "unknown-session"],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(
    data_dir: Path, args: list[str], stdin: str | None, message: str
) -> None:
    out = run(data_dir, *args, stdin=stdin)
    assert out.returncode == 2
    assert message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert out.stdout == ""


def test_control_characters_are_dropped_not_fatal(data_dir: Path) -> None:
    out = run(
        data_dir,
        "--json",
        "Where will the 14th China-US Tourism\x07 Leadership\x1b Summit be held?",
    )
    assert out.returncode == 0, out.stderr
    assert "Xi’an" in json.loads(out.stdout)["citations"][0]["quote"]


def test_sessions_carry_follow_ups(data_dir: Path) -> None:
    first = run(
        data_dir,
        "--json",
        "--session",
        "new",
        "Who met John Kerry via video link on September 2, 2021?",
    )
    assert first.returncode == 0, first.stderr
    session = json.loads(first.stdout)["session_id"]
    second = run(
        data_dir,
        "--json",
        "--session",
        session,
        "-",
        stdin="What did he say such cooperation must be?",
    )
    assert second.returncode == 0, second.stderr
    data = json.loads(second.stdout)
    assert "Yang Jiechi" in data["standalone_question"]
    assert any("two-way and mutually beneficial" in c["quote"] for c in data["citations"])


def test_continue_follows_up_on_the_latest_session(data_dir: Path) -> None:
    first = run(data_dir, "--json", "--session", "new", "Who met John Kerry via video link?")
    assert first.returncode == 0, first.stderr
    session = json.loads(first.stdout)["session_id"]
    second = run(data_dir, "--json", "-c", "What did he say such cooperation must be?")
    assert second.returncode == 0, second.stderr
    data = json.loads(second.stdout)
    assert data["session_id"] == session
    assert "Yang Jiechi" in data["standalone_question"]


def test_model_flag_needs_a_backend_with_models(data_dir: Path) -> None:
    out = run(data_dir, "-m", "gpt-4o", "Who met John Kerry?")
    assert out.returncode == 2
    assert "extractive has none" in out.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def slow_endpoint() -> Iterator[str]:
    """An OpenAI-compatible endpoint that accepts requests and never answers."""
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            release.wait(30)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    release.set()
    server.shutdown()


def _sessions_messages(data_dir: Path, session: str) -> int:
    out = subprocess.run(
        [sys.executable, "-m", "assistant", "sessions", "export", session, "-f", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "ASSISTANT_DATA_DIR": str(data_dir)},
    )
    assert out.returncode == 0, out.stderr
    return len(json.loads(out.stdout)["turns"])


@pytest.mark.parametrize("kind", ["dead", "slow"])
def test_a_dead_or_slow_endpoint_fails_fast_and_writes_nothing(
    data_dir: Path, slow_endpoint: str, kind: str
) -> None:
    first = run(data_dir, "--json", "--session", "new", "Who met John Kerry via video link?")
    session = json.loads(first.stdout)["session_id"]
    before = _sessions_messages(data_dir, session)
    url = slow_endpoint if kind == "slow" else f"http://127.0.0.1:{_free_port()}/v1"
    env = {
        "ASSISTANT_OPENAI__BASE_URL": url,
        "ASSISTANT_OPENAI__TIMEOUT": "2",
        "ASSISTANT_OPENAI__CONNECT_TIMEOUT": "1",
        "ASSISTANT_OPENAI__API_KEY": "sk-secret-123",
    }
    started = time.monotonic()
    out = run(data_dir, "--backend", "openai", "--session", session, "What did he say?", env=env)
    assert out.returncode == 4, out.stderr
    assert time.monotonic() - started < 60
    assert len(out.stderr.strip().splitlines()) == 1
    assert "sk-secret-123" not in out.stderr + out.stdout
    assert _sessions_messages(data_dir, session) == before
