"""Data the index must never lose: live articles on prune, old versions during a rewrite,
the index itself during a rebuild, and a store that went missing behind the catalog's back."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from assistant.errors import IndexDamagedError, IndexMissingError
from assistant.retrieval import indexer
from assistant.retrieval.bootstrap import ensure_index
from assistant.retrieval.catalog import Catalog
from assistant.retrieval.index import open_index, open_store
from assistant.settings import Settings, load_settings
from tests.unit.retrieval_fakes import HashEmbedder, article_id, write_articles

if TYPE_CHECKING:
    import numpy as np


@pytest.fixture
def settings() -> Settings:
    return load_settings()


@pytest.fixture
def hash_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the CLI and ``ensure_index`` embed with, here as in the indexing calls."""
    from assistant.retrieval import embeddings

    monkeypatch.setattr(embeddings, "make_embedder", lambda settings: HashEmbedder())


def run(paths: list[Path], settings: Settings, **kw: object) -> indexer.IngestReport:
    return indexer.sync(paths, settings, embedder=HashEmbedder(), **kw)  # type: ignore[arg-type]


def catalog_ids(settings: Settings) -> set[str]:
    return {a.id for a, _ in Catalog(settings.index_db).list_articles()}


def test_prune_from_another_directory_keeps_live_articles(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    write_articles(work / "A", 4)
    write_articles(work / "B", 3, start=10)
    monkeypatch.chdir(work)
    run([Path("A"), Path("B")], settings)
    paths = Catalog(settings.index_db).paths()
    assert all(Path(p).is_absolute() and Path(p).exists() for p in paths.values())
    monkeypatch.chdir("/")
    (work / "B" / article_id(10)).unlink()
    report = run([work / "B"], settings, prune=True)
    assert report.removed == 1
    assert catalog_ids(settings) == {article_id(i) for i in (0, 1, 2, 3, 11, 12)}


def test_old_relative_rows_are_kept_by_prune_and_made_absolute_on_ingest(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    write_articles(work / "A", 2)
    run([work / "A"], settings)
    with sqlite3.connect(settings.index_db) as db:  # as an older version stored them
        db.execute("UPDATE articles SET path = 'A/' || id")
    write_articles(work / "C", 1, start=20)
    monkeypatch.chdir("/")
    assert run([work / "C"], settings, prune=True).removed == 0
    assert catalog_ids(settings) == {article_id(0), article_id(1), article_id(20)}
    run([work / "A"], settings)
    paths = Catalog(settings.index_db).paths()
    assert all(paths[article_id(i)] == os.path.realpath(work / "A" / article_id(i)) for i in (0, 1))


def forget_chroma_clients() -> None:
    """Embedded Chroma caches its client per path: a fresh process would not have one."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def assert_answers_from(settings: Settings, wanted: set[str]) -> None:
    """Every catalogued article has all its current chunks, and they verify."""
    index = open_index(settings, embedder=HashEmbedder())
    assert {a.id for a, _ in index.source.list_articles()} == wanted
    for aid in wanted:
        n = int(aid[4:7])
        hits = index.retriever.retrieve(f"story number {n}", 40)
        assert aid in {h.chunk.article_id for h in hits}, aid
        for h in hits:
            text = index.source.article_text(h.chunk.article_id)
            assert text is not None and text[h.chunk.start : h.chunk.end] == h.chunk.text
    index.close()


def test_a_kill_between_the_chroma_write_and_the_commit_hides_nothing(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = write_articles(tmp_path / "arts", 3)
    run([tmp_path / "arts"], settings)
    for p in paths:
        p.write_text(p.read_text(encoding="utf-8") + "\nA late correction.\n", encoding="utf-8")

    def killed(*args: object) -> None:
        raise KeyboardInterrupt  # the process dies after Chroma took the new chunks

    monkeypatch.setattr(Catalog, "put", killed)
    with pytest.raises(KeyboardInterrupt):
        run([tmp_path / "arts"], settings)
    monkeypatch.undo()
    assert_answers_from(settings, {article_id(i) for i in range(3)})
    report = run([tmp_path / "arts"], settings)
    assert report.updated == 3
    ids = open_store(settings).all_ids()
    assert len(ids) == report.chunks  # the old versions are gone once the new ones commit


@pytest.mark.usefixtures("hash_embedder")
def test_a_deleted_embedded_store_is_reported_then_repaired(
    tmp_path: Path, settings: Settings
) -> None:
    write_articles(tmp_path / "arts", 3)
    first = run([tmp_path / "arts"], settings)
    shutil.rmtree(settings.chroma_dir)
    forget_chroma_clients()
    with pytest.raises(IndexDamagedError, match=r"damaged .*run `assistant ingest --repair`"):
        open_index(settings, embedder=HashEmbedder())
    with pytest.raises(IndexDamagedError):
        ensure_index(settings)  # and no seeds are added to it
    report = run([tmp_path / "arts"], settings)  # a plain ingest notices and repairs
    assert report.repaired == 3 and report.unchanged == 3 and report.chunks == first.chunks
    assert "3 repaired" in report.summary()
    assert_answers_from(settings, {article_id(i) for i in range(3)})


def test_repair_recreates_lost_chunks_from_the_catalog_even_without_the_files(
    tmp_path: Path, settings: Settings
) -> None:
    paths = write_articles(tmp_path / "arts", 4)
    run([tmp_path / "arts"], settings)
    store = open_store(settings)
    lost = [i for i in store.all_ids() if i.startswith(article_id(1) + "#")]
    store.delete_ids(lost[:1])  # one chunk gone: counts alone would catch it too
    paths[1].unlink()
    assert run([], settings, repair=True).repaired == 1
    assert len(open_store(settings).all_ids()) == Catalog(settings.index_db).stats()["chunks"]
    assert run([], settings, repair=True).repaired == 0
    assert_answers_from(settings, {article_id(i) for i in range(4)})


@pytest.mark.usefixtures("hash_embedder")
def test_cli_ask_on_a_damaged_index_says_how_to_repair(tmp_path: Path, settings: Settings) -> None:
    from typer.testing import CliRunner

    from assistant.cli import app

    write_articles(tmp_path / "arts", 2)
    run([tmp_path / "arts"], settings)
    shutil.rmtree(settings.chroma_dir)
    forget_chroma_clients()
    out = CliRunner().invoke(app, ["ask", "What about the wheat harvest?"])
    assert out.exit_code == 12, out.output
    assert "the index is damaged" in out.stderr and "assistant ingest --repair" in out.stderr


@pytest.mark.usefixtures("hash_embedder")
def test_a_failed_rebuild_leaves_the_old_index_answering(
    tmp_path: Path, settings: Settings
) -> None:
    write_articles(tmp_path / "old", 4)
    write_articles(tmp_path / "new", 6, start=10)
    run([tmp_path / "old"], settings)
    before = open_store(settings).name

    class Dies(HashEmbedder):
        calls = 0

        def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
            Dies.calls += 1
            if Dies.calls > 1:
                raise KeyboardInterrupt
            return super().embed_documents(texts)

    indexer_batch = indexer.EMBED_BATCH
    indexer.EMBED_BATCH = 1
    try:
        with pytest.raises(KeyboardInterrupt):
            indexer.sync([tmp_path / "new"], settings, rebuild=True, embedder=Dies())
    finally:
        indexer.EMBED_BATCH = indexer_batch
    assert_answers_from(settings, {article_id(i) for i in range(4)})
    index = ensure_index(settings)  # a built index: never topped up with the seeds
    assert index.stats()["articles"] == 4
    index.close()

    report = run([tmp_path / "new"], settings, rebuild=True)
    assert report.added == 6
    assert_answers_from(settings, {article_id(i) for i in range(10, 16)})
    store = open_store(settings)
    assert store.name != before
    names = {c.name for c in store.client.list_collections()}
    assert names == {store.name}  # the old one and the half-built one are dropped


@pytest.mark.usefixtures("hash_embedder")
def test_seeds_are_a_first_run_default_only(tmp_path: Path, settings: Settings) -> None:
    paths = write_articles(tmp_path / "arts", 2)
    run([tmp_path / "arts"], settings)
    for p in paths:
        p.unlink()
    assert run([tmp_path / "arts"], settings, prune=True).articles == 0
    with pytest.raises(IndexMissingError, match="is empty"):
        ensure_index(settings)
    assert Catalog(settings.index_db).stats()["articles"] == 0


def test_an_index_built_before_collections_were_owned_keeps_working(
    tmp_path: Path, settings: Settings
) -> None:
    from assistant.retrieval.chroma_store import OWNER_KEY

    write_articles(tmp_path / "arts", 3)
    run([tmp_path / "arts"], settings)
    with sqlite3.connect(settings.index_db) as db:  # as an older version left them
        db.execute("DELETE FROM meta WHERE key IN ('index_id', 'collection')")
    col = open_store(settings).collection()
    assert col is not None
    col.modify(metadata={k: v for k, v in (col.metadata or {}).items() if k != OWNER_KEY})
    forget_chroma_clients()
    assert open_store(settings).name == "articles"
    assert_answers_from(settings, {article_id(i) for i in range(3)})
    write_articles(tmp_path / "arts", 1, start=3)
    assert run([tmp_path / "arts"], settings).added == 1
    store = open_store(settings)
    assert store.name == "articles" and store.owner() == Catalog(settings.index_db).index_id()
    assert_answers_from(settings, {article_id(i) for i in range(4)})


def test_a_lost_catalog_is_rebuilt_over_the_embedded_store(
    tmp_path: Path, settings: Settings
) -> None:
    write_articles(tmp_path / "arts", 3)
    first = run([tmp_path / "arts"], settings)
    for extra in ("", "-wal", "-shm"):
        Path(f"{settings.index_db}{extra}").unlink(missing_ok=True)
    again = run([tmp_path / "arts"], settings)  # the data dir's own store, a new index id
    assert again.added == 3 and again.chunks == first.chunks
    assert len(open_store(settings).all_ids()) == first.chunks
    assert_answers_from(settings, {article_id(i) for i in range(3)})


@pytest.mark.usefixtures("hash_embedder")
def test_cli_ingest_repair_without_paths_repairs_and_adds_nothing(
    tmp_path: Path, settings: Settings
) -> None:
    from typer.testing import CliRunner

    from assistant.cli import app

    write_articles(tmp_path / "arts", 2)
    run([tmp_path / "arts"], settings)
    shutil.rmtree(settings.chroma_dir)
    forget_chroma_clients()
    out = CliRunner().invoke(app, ["ingest", "--repair"])
    assert out.exit_code == 0, out.output
    assert "2 repaired" in out.stdout
    assert_answers_from(settings, {article_id(0), article_id(1)})  # and no seeds
