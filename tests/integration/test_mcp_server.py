"""`assistant mcp` as an MCP client meets it: the SDK's own client starts the server as a
subprocess over stdio (and once over streamable HTTP), lists its tools, asks the seeds'
questions and checks every citation against the article files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.shared.exceptions import MCPError

from tests.conftest import ROOT
from tests.integration.serving import (
    file_text,
    free_port,
    port_open,
    server_env,
    start,
    stop,
    wait_until,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

QUESTIONS = [
    "Where will the 14th China-US Tourism Leadership Summit be held?",
    "Who met John Kerry via video link?",
    "Which Chinese Vice Premier did John Kerry meet during his visit?",
    "On what date did Xi Jinping hold a phone call with Vladimir Putin?",
]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("mcp")
    return server_env(tmp, tmp / "data", model_cache)


def stdio(env: dict[str, str], log: Path) -> Client:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "assistant", "mcp"], env=env, cwd=str(ROOT)
    )
    return Client(stdio_client(params, errlog=log.open("w")), read_timeout_seconds=180)


def assert_verified(citations: list[dict[str, Any]]) -> None:
    assert citations
    for c in citations:
        assert file_text(c["article_id"])[c["start"] : c["end"]] == c["quote"]


async def test_stdio_tools_answer_the_seeds_with_verified_citations(
    env: dict[str, str], tmp_path: Path
) -> None:
    async with stdio(env, tmp_path / "mcp.log") as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) == {"ask", "search", "sources", "get_article"}
        assert "question" in tools["ask"].input_schema["required"]
        progress: list[str] = []

        async def on_progress(value: float, total: float | None, message: str | None) -> None:
            progress.append(message or "")

        for question in QUESTIONS:
            result = await client.call_tool("ask", {"question": question}, None, on_progress)
            assert not result.is_error, result.content
            data = result.structured_content
            assert data is not None and data["question"] == question
            assert not data["refused"]
            assert_verified(data["citations"])
            text = result.content[0].text  # type: ignore[union-attr]
            assert data["answer"].strip() in text and "Sources:" in text
            for c in data["citations"]:
                span = await client.call_tool(
                    "get_article", {"id": c["article_id"], "start": c["start"], "end": c["end"]}
                )
                assert span.structured_content and span.structured_content["text"] == c["quote"]
        assert "done" in progress and any("passages" in p for p in progress)


async def test_stdio_search_sources_and_resources(env: dict[str, str], tmp_path: Path) -> None:
    async with stdio(env, tmp_path / "mcp.log") as client:
        found = await client.call_tool("search", {"query": "Kerry climate", "k": 3})
        hits = found.structured_content["hits"]  # type: ignore[index]
        assert len(hits) == 3
        for h in hits:
            assert file_text(h["article_id"])[h["start"] : h["end"]] == h["text"]
        listed = await client.call_tool("sources", {})
        ids = [a["id"] for a in listed.structured_content["articles"]]  # type: ignore[index]
        assert len(ids) == 5
        resources = (await client.list_resources()).resources
        assert sorted(str(r.uri) for r in resources) == sorted(f"article://{i}" for i in ids)
        templates = (await client.list_resource_templates()).resource_templates
        assert [t.uri_template for t in templates] == ["article://{article_id}"]
        read = await client.read_resource(f"article://{ids[0]}")
        assert read.contents[0].text == file_text(ids[0])  # type: ignore[union-attr]


BAD_ARGUMENTS = [
    ("search", {"query": "Kerry", "k": "many"}, "k:"),
    ("search", {"query": "Kerry", "k": 1000}, "between 1 and 100"),
    ("ask", {"question": "Who?", "since": "last week"}, "YYYY-MM-DD"),
    ("ask", {}, "question:"),
    ("get_article", {"id": "no-such-article.txt"}, "no article"),
    ("get_article", {"id": "003_7d1f377c2dc1bafd.txt", "start": 50, "end": 10}, "start"),
]


async def test_bad_arguments_are_one_line_mcp_errors(env: dict[str, str], tmp_path: Path) -> None:
    async with stdio(env, tmp_path / "mcp.log") as client:
        for tool, arguments, words in BAD_ARGUMENTS:
            with pytest.raises(MCPError) as raised:
                await client.call_tool(tool, arguments)
            assert raised.value.code == -32602, (tool, arguments)  # invalid params
            message = raised.value.message
            assert words in message and "\n" not in message, (tool, arguments, message)
        assert not (await client.call_tool("sources", {})).is_error  # still serving


async def test_an_empty_index_is_reported_on_the_first_call(
    tmp_path: Path, model_cache: Path
) -> None:
    empty = tmp_path / "no-seeds"
    empty.mkdir()
    env = server_env(tmp_path, tmp_path / "data", model_cache, ASSISTANT_SEEDS_DIR=str(empty))
    async with stdio(env, tmp_path / "mcp.log") as client:
        for _ in range(2):  # the server stays up and keeps saying so
            result = await client.call_tool("sources", {})
            assert result.is_error
            assert "no articles are indexed" in result.content[0].text  # type: ignore[union-attr]


async def test_streamable_http_on_loopback(env: dict[str, str], tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "mcp-http.log"
    proc = start(["mcp", "--http", "--port", str(port)], env, log)
    try:
        wait_until(proc, port_open(port), log)
        async with Client(f"http://127.0.0.1:{port}/mcp", read_timeout_seconds=180) as client:
            assert {t.name for t in (await client.list_tools()).tools} >= {"ask", "get_article"}
            result = await client.call_tool("ask", {"question": QUESTIONS[0]})
            assert not result.is_error
            assert_verified(result.structured_content["citations"])  # type: ignore[index]
    finally:
        stop(proc)
