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
from assistant.retrieval.index import open_index, open_store
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
    ids = open_store(settings).all_ids()
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
    assert len(open_store(settings).all_ids()) == pruned.chunks


def test_unreachable_server_is_a_clear_error(settings: Settings) -> None:
    from assistant.errors import StoreUnreachableError

    dead = settings.model_copy(
        update={"store": settings.store.model_copy(update={"port": free_port()})}
    )
    with pytest.raises(StoreUnreachableError, match="cannot reach the Chroma server"):
        ChromaStore(dead).collection()


# Several data dirs on one server (docs/scaling.md, "One Chroma server, several data dirs")


def on_server(port: int, data: Path, collection: str = "") -> Settings:
    return load_settings(
        data_dir=data,
        store={"mode": "server", "host": "127.0.0.1", "port": port, "collection": collection},
    )


def answers(settings: Settings, ids: set[str]) -> None:
    """The index holds exactly ``ids``, all of their chunks, and each one is found."""
    index = open_index(settings, embedder=HashEmbedder())
    counts = index.source.stats()
    assert {a.id for a, _ in index.source.list_articles()} == ids
    assert ChromaStore(settings, name=index.retriever.store.name).count() == counts["chunks"]
    for aid in ids:
        hits = index.retriever.retrieve(f"story number {int(aid[4:7])}", 40)
        assert aid in {h.chunk.article_id for h in hits}
    index.close()


def test_two_data_dirs_on_one_server_keep_separate_indexes(
    tmp_path: Path, chroma_server: int
) -> None:
    a = on_server(chroma_server, tmp_path / "A")
    b = on_server(chroma_server, tmp_path / "B")
    write_articles(tmp_path / "arts_a", 6)
    write_articles(tmp_path / "arts_b", 3, start=20)
    ids_a = {article_id(i) for i in range(6)}
    ids_b = {article_id(i) for i in range(20, 23)}
    indexer.sync([tmp_path / "arts_a"], a, embedder=HashEmbedder())
    indexer.sync([tmp_path / "arts_b"], b, embedder=HashEmbedder())
    answers(a, ids_a)
    answers(b, ids_b)
    assert open_store(a).name != open_store(b).name

    again = indexer.sync([tmp_path / "arts_a"], a, embedder=HashEmbedder())
    assert again.summary() == "No changes: 6 articles unchanged."
    (tmp_path / "arts_b" / article_id(20)).unlink()
    indexer.sync([tmp_path / "arts_b"], b, embedder=HashEmbedder(), prune=True)
    indexer.sync([tmp_path / "arts_b"], b, embedder=HashEmbedder(), rebuild=True)
    answers(a, ids_a)
    answers(b, ids_b - {article_id(20)})


def test_two_clients_sharing_a_data_dir_see_one_index(tmp_path: Path, chroma_server: int) -> None:
    first = on_server(chroma_server, tmp_path / "shared")
    second = on_server(chroma_server, tmp_path / "shared")
    write_articles(tmp_path / "arts", 4)
    indexer.sync([tmp_path / "arts"], first, embedder=HashEmbedder())
    reader = open_index(second, embedder=HashEmbedder())
    write_articles(tmp_path / "arts", 2, start=4)
    indexer.sync([tmp_path / "arts"], second, embedder=HashEmbedder())
    hits = reader.retriever.retrieve("story number 5", 10)
    assert article_id(5) in {h.chunk.article_id for h in hits}
    reader.close()
    answers(first, {article_id(i) for i in range(6)})


def test_two_data_dirs_naming_one_collection_are_refused(
    tmp_path: Path, chroma_server: int
) -> None:
    from assistant.errors import StoreConflictError

    a = on_server(chroma_server, tmp_path / "A", collection="team-news")
    b = on_server(chroma_server, tmp_path / "B", collection="team-news")
    write_articles(tmp_path / "arts_a", 5)
    write_articles(tmp_path / "arts_b", 2, start=30)
    indexer.sync([tmp_path / "arts_a"], a, embedder=HashEmbedder())
    with pytest.raises(StoreConflictError, match="belongs to another index"):
        indexer.sync([tmp_path / "arts_b"], b, embedder=HashEmbedder())
    with pytest.raises(StoreConflictError):
        indexer.sync([tmp_path / "arts_b"], b, embedder=HashEmbedder(), rebuild=True)
    answers(a, {article_id(i) for i in range(5)})


def test_a_deleted_server_collection_is_reported_then_repaired(
    tmp_path: Path, chroma_server: int
) -> None:
    from assistant.errors import IndexDamagedError

    a = on_server(chroma_server, tmp_path / "A")
    write_articles(tmp_path / "arts", 4)
    indexer.sync([tmp_path / "arts"], a, embedder=HashEmbedder())
    store = open_store(a)
    store.client.delete_collection(store.name)
    with pytest.raises(IndexDamagedError, match="ingest --repair"):
        open_index(a, embedder=HashEmbedder())
    report = indexer.sync([], a, embedder=HashEmbedder(), repair=True)
    assert report.repaired == 4
    answers(a, {article_id(i) for i in range(4)})
