"""A Chroma server that is down, or dies mid-ingest or mid-question: one line, exit 11."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.errors import EXIT_STORE_UNREACHABLE, StoreUnreachableError
from assistant.retrieval import indexer
from assistant.retrieval.index import open_index
from assistant.settings import Settings, load_settings
from tests.integration.test_chroma_server import CHROMA, free_port, wait_for_heartbeat
from tests.unit.retrieval_fakes import HashEmbedder, write_articles

pytestmark = pytest.mark.integration


class Server:
    def __init__(self, path: Path) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(path), "--host", "127.0.0.1", "--port",
             str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_heartbeat(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", self.proc)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    if not CHROMA.exists():
        pytest.skip("the chroma executable is not installed")
    srv = Server(tmp_path / "chroma-db")
    try:
        yield srv
    finally:
        srv.stop()


def server_settings(port: int) -> Settings:
    return load_settings(store={"mode": "server", "host": "127.0.0.1", "port": port})


class KillsTheServer(HashEmbedder):
    """Embeds, then takes the server down before the chunks are written."""

    def __init__(self, server: Server) -> None:
        super().__init__()
        self.server = server

    def embed_documents(self, texts):  # type: ignore[no-untyped-def]
        self.server.stop()
        return super().embed_documents(texts)


def test_server_dies_mid_ingest(server: Server, tmp_path: Path) -> None:
    folder = tmp_path / "arts"
    write_articles(folder, 3)
    with pytest.raises(StoreUnreachableError, match=f"127.0.0.1:{server.port}"):
        indexer.sync([folder], server_settings(server.port), embedder=KillsTheServer(server))


def test_server_dies_before_a_question(server: Server, tmp_path: Path) -> None:
    folder = tmp_path / "arts"
    write_articles(folder, 3)
    settings = server_settings(server.port)
    indexer.sync([folder], settings, embedder=HashEmbedder())
    index = open_index(settings, embedder=HashEmbedder())
    assert index.retriever.retrieve("wheat harvest", 3)
    server.stop()
    with pytest.raises(StoreUnreachableError, match="is `chroma run` running"):
        index.retriever.retrieve("wheat harvest", 3)
    index.close()


def test_ask_with_the_server_down_says_so_not_no_index(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "assistant", "ask", "Who won?"],
        capture_output=True,
        text=True,
        env={**os.environ, "ASSISTANT_STORE__MODE": "server",
             "ASSISTANT_STORE__PORT": str(free_port())},
        timeout=120,
    )  # fmt: skip
    assert out.returncode == EXIT_STORE_UNREACHABLE, out.stderr
    assert "No index yet" not in out.stderr
    assert out.stderr.count("\n") == 1 and "cannot reach the Chroma server" in out.stderr
