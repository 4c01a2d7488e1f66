"""`assistant serve` as a client meets it: a real uvicorn process on a free loopback port, httpx
against every endpoint, citations checked against the article files."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT, SEEDS
from tests.integration.serving import (
    file_text,
    free_port,
    healthy,
    rss_kib,
    server_env,
    start,
    stop,
    wait_until,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

QUESTION = "Where will the 14th China-US Tourism Leadership Summit be held?"
TOKEN = "s3cret-token"


class Server:
    def __init__(self, proc: subprocess.Popen[bytes], base: str) -> None:
        self.proc, self.base = proc, base


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("serve")
    return server_env(tmp, tmp / "data", model_cache)


def _serve(env: dict[str, str], log: Path) -> Iterator[Server]:
    port = free_port()
    proc = start(["serve", "--port", str(port)], env, log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(proc, healthy(base), log)
        yield Server(proc, base)
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def server(dirs: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The first start ingests the seeds into the module's data dir."""
    yield from _serve(dirs, tmp_path_factory.mktemp("log") / "serve.log")


@pytest.fixture(scope="module")
def guarded(
    server: Server, dirs: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    env = {**dirs, "ASSISTANT_SERVE__TOKEN": TOKEN}
    yield from _serve(env, tmp_path_factory.mktemp("log") / "guarded.log")


def assert_verified(citations: list[dict[str, Any]]) -> None:
    assert citations
    for c in citations:
        assert file_text(c["article_id"])[c["start"] : c["end"]] == c["quote"]


def ask(base: str, body: dict[str, Any], **kwargs: Any) -> httpx.Response:
    return httpx.post(f"{base}/v1/ask", json=body, timeout=120, **kwargs)


def test_ask_answers_with_the_ask_json_schema_and_verified_citations(
    server: Server, dirs: dict[str, str]
) -> None:
    response = ask(server.base, {"question": QUESTION})
    assert response.status_code == 200, response.text
    data = response.json()
    cli = subprocess.run(
        [sys.executable, "-m", "assistant", "ask", "--json", QUESTION],
        capture_output=True,
        text=True,
        env=dirs,
        cwd=ROOT,
        timeout=120,
    )
    assert cli.returncode == 0, cli.stderr
    assert data.keys() == json.loads(cli.stdout).keys()
    assert data["schema_version"] == 1 and data["refused"] is False
    assert "Xi’an" in data["answer"]
    assert_verified(data["citations"])


def test_a_plain_curl_style_body_is_read_as_json(server: Server) -> None:
    body = json.dumps({"question": QUESTION})
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    response = httpx.post(f"{server.base}/v1/ask", content=body, headers=headers, timeout=120)
    assert response.status_code == 200, response.text
    assert_verified(response.json()["citations"])


def read_sse(response: httpx.Response) -> list[tuple[str, dict[str, Any]]]:
    events, name, data = [], "", []
    for line in response.iter_lines():
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif not line and name:
            events.append((name, json.loads("\n".join(data))))
            name, data = "", []
    return events


def test_the_stream_carries_the_services_events_to_done(server: Server) -> None:
    body = {"question": "Who met John Kerry via video link?"}
    with httpx.stream("POST", f"{server.base}/v1/ask/stream", json=body, timeout=120) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        events = read_sse(r)
    names = [n for n, _ in events]
    assert names[0] == "retrieved" and names[-1] == "done"
    assert "text" in names and "citation" in names
    streamed = [d for n, d in events if n == "citation"]
    done = events[-1][1]
    assert_verified(streamed)
    assert [c["quote"] for c in streamed] == [c["quote"] for c in done["citations"]]
    assert "".join(d["text"] for n, d in events if n == "text").strip() == done["answer"].strip()


def test_a_failed_turn_streams_a_failed_event(server: Server) -> None:
    body = {"question": "Who?", "session_id": "ffffffff"}
    with httpx.stream("POST", f"{server.base}/v1/ask/stream", json=body, timeout=60) as r:
        events = read_sse(r)
    assert [n for n, _ in events] == ["failed"]
    assert events[0][1]["error"]["kind"] == "input"


SOURCE_KEYS = {"id", "path", "title", "outlet", "published", "updated", "byline", "chunks"}


def test_sources_are_the_cli_listing(server: Server, dirs: dict[str, str]) -> None:
    listed = httpx.get(f"{server.base}/v1/sources", timeout=60).json()
    cli = subprocess.run(
        [sys.executable, "-m", "assistant", "sources", "--json"],
        capture_output=True,
        text=True,
        env=dirs,
        cwd=ROOT,
        timeout=120,
    )
    assert cli.returncode == 0, cli.stderr
    assert listed == json.loads(cli.stdout)
    assert all(row.keys() >= SOURCE_KEYS for row in listed)


def test_search_sources_and_articles_agree_with_the_files(server: Server) -> None:
    hits = httpx.get(f"{server.base}/v1/search", params={"q": "Kerry", "k": 3}, timeout=60)
    assert hits.status_code == 200
    rows = hits.json()["hits"]
    assert len(rows) == 3
    for h in rows:
        assert file_text(h["article_id"])[h["start"] : h["end"]] == h["text"]
    sources = httpx.get(f"{server.base}/v1/sources", timeout=60).json()
    assert sorted(s["id"] for s in sources) == sorted(p.name for p in SEEDS.glob("*.txt"))
    first = rows[0]
    span = httpx.get(
        f"{server.base}/v1/articles/{first['article_id']}",
        params={"start": first["start"], "end": first["end"]},
        timeout=60,
    ).json()
    assert span["text"] == first["text"]
    whole = httpx.get(f"{server.base}/v1/articles/{first['article_id']}", timeout=60).json()
    assert whole["text"] == file_text(first["article_id"])


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/v1/articles/no-such-article.txt", 404),
        ("/v1/articles/001_5afc2ed96cba7e86.txt?start=10&end=5", 422),
        ("/v1/search?k=3", 422),
        ("/v1/search?q=Kerry&since=yesterday", 422),
        ("/v1/sessions/ffffffff", 404),
        ("/v1/nothing-here", 404),
    ],
)
def test_bad_requests_get_one_line_json_errors(server: Server, path: str, status: int) -> None:
    response = httpx.get(f"{server.base}{path}", timeout=60)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["message"] and "\n" not in error["message"]


def test_sessions_are_saved_and_listed(server: Server) -> None:
    first = ask(
        server.base, {"question": "Who met John Kerry via video link?", "session_id": "new"}
    )
    session = first.json()["session_id"]
    follow = ask(
        server.base,
        {"question": "What did he say such cooperation must be?", "session_id": session},
    ).json()
    assert "Yang Jiechi" in follow["standalone_question"]
    listed = httpx.get(f"{server.base}/v1/sessions", timeout=60).json()
    assert session in [s["id"] for s in listed]
    shown = httpx.get(f"{server.base}/v1/sessions/{session}", timeout=60).json()
    assert len(shown["turns"]) == 2


def test_health_and_openapi_docs(server: Server) -> None:
    health = httpx.get(f"{server.base}/healthz", timeout=10).json()
    assert health["articles"] == 5 and health["backend"] == "extractive"
    assert httpx.get(f"{server.base}/docs", timeout=10).status_code == 200
    paths = httpx.get(f"{server.base}/openapi.json", timeout=10).json()["paths"]
    assert {"/v1/ask", "/v1/ask/stream", "/v1/search", "/v1/sources"} <= paths.keys()
    assert "question" in json.dumps(paths["/v1/ask"]["post"]["requestBody"])


def test_twenty_concurrent_asks_all_answer(server: Server) -> None:
    questions = [QUESTION, "Who met John Kerry via video link?"] * 10
    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(lambda q: ask(server.base, {"question": q}), questions))
    assert [r.status_code for r in responses] == [200] * 20
    for r in responses:
        assert_verified(r.json()["citations"])


def test_memory_does_not_grow_per_request(server: Server) -> None:
    for _ in range(15):
        ask(server.base, {"question": QUESTION})
    before = rss_kib(server.proc.pid)
    for _ in range(60):
        assert ask(server.base, {"question": QUESTION}).status_code == 200
    grown = rss_kib(server.proc.pid) - before
    assert grown < 20 * 1024, f"RSS grew {grown} KiB over 60 requests"


def test_a_ten_megabyte_body_is_refused_with_413(server: Server) -> None:
    body = json.dumps({"question": "x" * 10_000_000})
    try:
        response = httpx.post(f"{server.base}/v1/ask", content=body, timeout=60)
    except httpx.HTTPError as err:  # the server may close before the body is all sent
        pytest.fail(f"no 413 response: {err!r}")
    assert response.status_code == 413
    assert response.json()["error"]["kind"] == "too-large"


def test_a_chunked_body_over_the_limit_is_refused_with_413(server: Server) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(20):
            yield b"x" * 100_000
        yield b'"}'

    response = httpx.post(f"{server.base}/v1/ask", content=chunks(), timeout=60)
    assert response.status_code == 413


def test_a_hundred_thousand_character_question_is_a_422_json_error(server: Server) -> None:
    response = ask(server.base, {"question": "why " * 25_000})
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert "100,000 characters" in message and "limit" in message


def test_a_token_is_required_when_configured(guarded: Server) -> None:
    assert ask(guarded.base, {"question": QUESTION}).status_code == 401
    wrong = ask(guarded.base, {"question": QUESTION}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.json()["error"]["kind"] == "unauthorized"
    assert httpx.get(f"{guarded.base}/v1/sources", timeout=10).status_code == 401
    right = ask(guarded.base, {"question": QUESTION}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status_code == 200
    assert_verified(right.json()["citations"])


def test_a_public_address_without_a_token_is_refused(dirs: dict[str, str]) -> None:
    env = {k: v for k, v in dirs.items() if k != "ASSISTANT_SERVE__TOKEN"}
    out = subprocess.run(
        [sys.executable, "-m", "assistant", "serve", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert out.returncode == 2
    assert "without a token" in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_openai_clients_get_the_verified_answer_and_its_citations(server: Server) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=f"{server.base}/v1", api_key="unused", timeout=120)
    completion = client.chat.completions.create(
        model="news-assistant", messages=[{"role": "user", "content": QUESTION}]
    )
    content = completion.choices[0].message.content or ""
    citations = completion.model_extra["citations"]  # type: ignore[index]
    assert_verified(citations)
    assert "Xi’an" in content and "**Sources**" in content
    assert all(f"`{c['article_id']}` chars {c['start']}-{c['end']}" in content for c in citations)

    history = [
        {"role": "user", "content": "Who met John Kerry via video link?"},
        {"role": "assistant", "content": "Yang Jiechi met John Kerry via video link. [1]"},
        {"role": "user", "content": "What did he say such cooperation must be?"},
    ]
    chunks = list(
        client.chat.completions.create(model="news-assistant", messages=history, stream=True)
    )
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    final = chunks[-1].model_extra["citations"]  # type: ignore[index]
    assert_verified(final)
    assert any("two-way and mutually beneficial" in c["quote"] for c in final)
    assert "**Sources**" in streamed and chunks[-1].choices[0].finish_reason == "stop"
