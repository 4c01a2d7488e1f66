"""Data the index must never lose: live articles on prune, old versions during a rewrite,
the index itself during a rebuild, and a store that went missing behind the catalog's back."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from assistant.retrieval import indexer
from assistant.retrieval.catalog import Catalog
from assistant.settings import Settings, load_settings
from tests.unit.retrieval_fakes import HashEmbedder, article_id, write_articles


@pytest.fixture
def settings() -> Settings:
    return load_settings()


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
