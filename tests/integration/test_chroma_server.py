"""The index against a real `chroma run` server on 127.0.0.1 (store.mode = "server")."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.retrieval import indexer
from assistant.retrieval.chroma_store import ChromaStore
from assistant.retrieval.index import open_index
from assistant.settings import Settings, load_settings
from assistant.types import Filters
from tests.unit.retrieval_fakes import HashEmbedder, article_id, write_articles

pytestmark = pytest.mark.integration

CHROMA = Path(sys.executable).parent / "chroma"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_heartbeat(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"chroma run exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    raise TimeoutError(f"no heartbeat from {url} in {timeout} s")


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    if not CHROMA.exists():
        pytest.skip("the chroma executable is not installed")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = (path / "server.log").open("wb")
    proc = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(path / "db"), "--host", "127.0.0.1", "--port",
         str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for_heartbeat(f"http://127.0.0.1:{port}/api/v2/heartbeat", proc)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def settings(chroma_server: int, request: pytest.FixtureRequest) -> Settings:
    collection = f"test-{request.node.name.replace('_', '-')[:40]}"
    return load_settings(
        store={"mode": "server", "host": "127.0.0.1", "port": chroma_server,
               "collection": collection}
    )  # fmt: skip


def test_sync_and_hybrid_queries_over_a_server(tmp_path: Path, settings: Settings) -> None:
    folder = tmp_path / "arts"
    paths = write_articles(folder, 8)
    report = indexer.sync([folder], settings, embedder=HashEmbedder())
    assert report.added == 8 and not report.failed
    assert not settings.chroma_dir.exists()  # nothing embedded on disk in server mode
    ids = ChromaStore(settings).all_ids()
    assert len(ids) == len(set(ids)) == report.chunks

    index = open_index(settings, embedder=HashEmbedder())
    assert index.stats()["store"] == f"server (http://127.0.0.1:{settings.store.port})"
    hits = index.retriever.retrieve("solar tariff story number 7", 4)
    assert hits and hits[0].chunk.article_id == article_id(7)
    planet = index.retriever.retrieve("officials", 10, Filters(outlets=("Daily Planet",)))
    assert planet and all(h.chunk.outlet == "Daily Planet" for h in planet)

    paths[7].unlink()
    pruned = indexer.sync([folder], settings, embedder=HashEmbedder(), prune=True)
    assert pruned.removed == 1
    hits = index.retriever.retrieve("solar tariff story number 7", 4)
    assert all(h.chunk.article_id != article_id(7) for h in hits)
    assert len(ChromaStore(settings).all_ids()) == pruned.chunks


def test_unreachable_server_is_a_clear_error(settings: Settings) -> None:
    from assistant.errors import StoreUnreachableError

    dead = settings.model_copy(
        update={"store": settings.store.model_copy(update={"port": free_port()})}
    )
    with pytest.raises(StoreUnreachableError, match="cannot reach the Chroma server"):
        ChromaStore(dead).collection()
