"""Incremental ingest with a hashing embedder: add, change, prune, rebuild, failures, locking."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from assistant.errors import IndexMissingError, ModelMismatchError, StoreBusyError
from assistant.retrieval import bm25, indexer
from assistant.retrieval.catalog import Catalog
from assistant.retrieval.index import open_index, open_store
from assistant.settings import Settings, load_settings
from tests.unit.retrieval_fakes import (
    HashEmbedder,
    article_id,
    write_articles,
)


@pytest.fixture
def settings() -> Settings:
    return load_settings()


def run(paths: list[Path], settings: Settings, **kw: object) -> indexer.IngestReport:
    return indexer.sync(paths, settings, embedder=HashEmbedder(), **kw)  # type: ignore[arg-type]


def chroma_ids(settings: Settings) -> list[str]:
    return open_store(settings).all_ids()


def catalog_chunks(settings: Settings) -> dict[str, int]:
    return {a.id: n for a, n in Catalog(settings.index_db).list_articles()}


def catalog_hashes(settings: Settings) -> dict[str, str]:
    return Catalog(settings.index_db).hashes()


def assert_consistent(settings: Settings, report: indexer.IngestReport) -> None:
    """Chroma, catalog and BM25 agree: same chunks, no duplicates, ids 0..n-1 per article."""
    ids = chroma_ids(settings)
    counts = catalog_chunks(settings)
    hashes = catalog_hashes(settings)
    assert len(ids) == len(set(ids)) == sum(counts.values()) == report.chunks
    for aid, n in counts.items():
        assert sorted(i for i in ids if i.startswith(aid + "#")) == [
            f"{aid}#{k:04d}@{hashes[aid][:12]}" for k in range(n)
        ]
    bm = bm25.load(settings.bm25_dir)
    assert bm is not None and len(bm) == len(ids)


def test_first_run_adds_everything_second_run_changes_nothing(
    tmp_path: Path, settings: Settings
) -> None:
    folder = tmp_path / "arts"
    write_articles(folder, 4)
    first = run([folder], settings)
    assert (first.added, first.updated, first.unchanged, first.failed) == (4, 0, 0, [])
    assert first.articles == 4 and first.chunks >= 4 and first.bm25_rebuilt
    assert_consistent(settings, first)
    second = run([folder], settings)
    assert not second.changed and second.unchanged == 4 and not second.bm25_rebuilt
    assert second.summary() == "No changes: 4 articles unchanged."
    assert first.summary().startswith("4 articles (4 added, 0 updated, 0 unchanged, 0 removed)")


def test_change_add_and_prune(tmp_path: Path, settings: Settings) -> None:
    folder = tmp_path / "arts"
    paths = write_articles(folder, 4)
    run([folder], settings)
    paths[0].write_text(
        "Rewritten entirely.\n\nThe volcano erupted on Monday, and officials ordered the "
        "villages below it to evacuate before nightfall.\n",
        encoding="utf-8",
    )
    write_articles(folder, 1, start=10)
    paths[1].unlink()
    report = run([folder], settings)
    assert (report.added, report.updated, report.unchanged, report.removed) == (1, 1, 2, 0)
    assert report.articles == 5  # without --prune the deleted file's article stays
    pruned = run([folder], settings, prune=True)
    assert (pruned.removed, pruned.articles) == (1, 4)
    assert_consistent(settings, pruned)
    assert article_id(1) not in catalog_chunks(settings)
    index = open_index(settings, embedder=HashEmbedder())
    hit = index.retriever.retrieve("volcano erupted", 1)[0]
    assert hit.chunk.article_id == article_id(0)
    text = index.source.article_text(article_id(0))
    assert text is not None and text[hit.chunk.start : hit.chunk.end] == hit.chunk.text


def test_a_bad_file_is_reported_and_its_old_version_kept(
    tmp_path: Path, settings: Settings
) -> None:
    folder = tmp_path / "arts"
    paths = write_articles(folder, 3)
    run([folder], settings)
    old_text = Catalog(settings.index_db).article_text(article_id(1))
    old_count = catalog_chunks(settings)[article_id(1)]
    paths[1].write_bytes(b"\xff\xfe\x00 not text")
    write_articles(folder, 1, start=7)
    report = run([folder], settings)
    assert len(report.failed) == 1 and str(paths[1]) in report.failed[0]
    assert "\n" not in report.failed[0]
    assert report.added == 1 and report.articles == 4
    assert Catalog(settings.index_db).article_text(article_id(1)) == old_text
    assert sum(i.startswith(article_id(1) + "#") for i in chroma_ids(settings)) == old_count
    assert_consistent(settings, report)


def test_rebuild_starts_over(tmp_path: Path, settings: Settings) -> None:
    folder = tmp_path / "arts"
    write_articles(folder, 3)
    run([folder], settings)
    report = run([folder], settings, rebuild=True)
    assert report.added == 3 and report.unchanged == 0
    assert_consistent(settings, report)


def test_dirty_bm25_flag_forces_a_rebuild(tmp_path: Path, settings: Settings) -> None:
    folder = tmp_path / "arts"
    write_articles(folder, 2)
    run([folder], settings)
    Catalog(settings.index_db).mark_bm25_dirty(True)
    report = run([folder], settings)
    assert not report.changed and report.bm25_rebuilt
    assert not Catalog(settings.index_db).bm25_dirty


def test_bm25_rebuild_streams_chroma_pages_into_the_builder(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory stays flat in corpus size only if no step holds all chunks: Chroma is read a
    page at a time and each page's chunks are indexed before the next page is asked for."""
    from chromadb.api.models.Collection import Collection

    from assistant.retrieval import chroma_store
    from assistant.retrieval.bm25_matrix import MatrixBuilder

    folder = tmp_path / "arts"
    write_articles(folder, 5)
    run([folder], settings)
    events: list[tuple[str, int]] = []
    get, add = Collection.get, MatrixBuilder.add

    def spy_get(self: Collection, *args: object, **kw: object) -> object:
        page = get(self, *args, **kw)  # type: ignore[arg-type]
        events.append(("get", len(page["ids"])))
        return page

    def spy_add(self: MatrixBuilder, terms: list[str]) -> int:
        events.append(("add", 1))
        return add(self, terms)

    monkeypatch.setattr(chroma_store, "_PAGE", 3)
    monkeypatch.setattr(Collection, "get", spy_get)
    monkeypatch.setattr(MatrixBuilder, "add", spy_add)
    Catalog(settings.index_db).mark_bm25_dirty(True)
    report = run([folder], settings)
    assert report.bm25_rebuilt
    pages = [n for kind, n in events if kind == "get"]
    assert report.chunks > 6 and max(pages) == 3 and sum(pages) == report.chunks
    first_add = events.index(("add", 1))
    assert events[first_add - 1] == ("get", 3)  # the first page is indexed...
    assert events[first_add : first_add + 4] == [("add", 1)] * 3 + [("get", 3)]  # ...first
    assert_consistent(settings, report)


def test_second_ingest_is_refused_while_one_runs(tmp_path: Path, settings: Settings) -> None:
    with indexer.ingest_lock(settings), pytest.raises(StoreBusyError) as err:
        run([tmp_path], settings)
    assert str(settings.data_dir) in str(err.value) and "pid" in str(err.value)
    run([tmp_path], settings)  # the lock is free again


def test_another_embedding_model_is_refused(tmp_path: Path, settings: Settings) -> None:
    folder = tmp_path / "arts"
    write_articles(folder, 2)
    run([folder], settings)
    other = HashEmbedder(name="other-model", dim=32)
    with pytest.raises(ModelMismatchError, match="index was built with test-hash"):
        indexer.sync([folder], settings, embedder=other)
    with pytest.raises(ModelMismatchError, match="--rebuild"):
        open_index(settings, embedder=other)
    report = indexer.sync([folder], settings, embedder=other, rebuild=True)
    assert report.added == 2
    assert open_index(settings, embedder=other).stats()["embedding_model"] == "other-model"


def test_open_index_without_an_index(settings: Settings) -> None:
    with pytest.raises(IndexMissingError):
        open_index(settings, embedder=HashEmbedder())
    assert not settings.index_db.exists()


def test_index_facade_stats(tmp_path: Path, settings: Settings) -> None:
    write_articles(tmp_path / "arts", 2)
    report = run([tmp_path / "arts"], settings)
    index = open_index(settings, embedder=HashEmbedder())
    stats = index.stats()
    assert stats["articles"] == 2 and stats["chunks"] == report.chunks
    assert stats["embedding_model"] == "test-hash" and stats["store"].startswith("embedded")
    assert not index.is_empty()


# CLI


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    from assistant.cli import ingest as ingest_cli

    monkeypatch.setattr(indexer, "sync", functools.partial(indexer.sync, embedder=HashEmbedder()))
    app = typer.Typer()
    ingest_cli.register(app)
    return app


def test_cli_ingest_and_sources(tmp_path: Path, cli: typer.Typer) -> None:
    runner = CliRunner()
    folder = tmp_path / "arts"
    paths = write_articles(folder, 3)
    first = runner.invoke(cli, ["ingest", str(folder)])
    assert first.exit_code == 0, first.output
    assert re.fullmatch(
        r"3 articles \(3 added, 0 updated, 0 unchanged, 0 removed\), \d+ chunks, 0 failed, "
        r"\d+\.\d s",
        first.stdout.strip(),
    )
    before = runner.invoke(cli, ["sources", "--json"])
    again = runner.invoke(cli, ["ingest", str(folder)])
    assert again.exit_code == 0 and again.stdout.strip() == "No changes: 3 articles unchanged."
    after = runner.invoke(cli, ["sources", "--json"])
    assert before.stdout == after.stdout
    listing = json.loads(after.stdout)
    assert [a["id"] for a in listing] == [article_id(i) for i in range(3)]
    assert listing[0]["chunks"] >= 1 and listing[1]["outlet"] == "Daily Planet"
    table = runner.invoke(cli, ["sources"])
    assert table.exit_code == 0 and "gen_002" in table.stdout

    paths[2].write_bytes(b"\xff\xfe\x00\x00")
    bad = runner.invoke(cli, ["ingest", str(folder), "--json"])
    assert bad.exit_code == 7  # some files were not ingested
    assert f"skipped {paths[2]}" in bad.stderr
    assert json.loads(bad.stdout)["failed"]


def test_cli_errors_have_exit_codes(tmp_path: Path, cli: typer.Typer, settings: Settings) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["sources"]).exit_code == 3
    with indexer.ingest_lock(settings):
        busy = runner.invoke(cli, ["ingest", str(tmp_path)])
    assert busy.exit_code == 5 and "another ingest is running" in busy.stderr


def test_new_chunking_settings_reindex_everything(tmp_path: Path, settings: Settings) -> None:
    folder = tmp_path / "arts"
    write_articles(folder, 2)
    first = run([folder], settings)
    smaller = load_settings(chunking={"chunk_size": 200, "chunk_overlap": 0})
    report = run([folder], smaller)
    assert report.updated == 2 and report.chunks > first.chunks
    assert_consistent(smaller, report)
    assert not run([folder], smaller).changed
