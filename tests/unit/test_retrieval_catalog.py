"""The SQLite catalog: migrations, article rows, metadata."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.retrieval.catalog import MIGRATIONS, Catalog
from assistant.text.dates import article_date, dated_fields
from assistant.types import Article


def test_migrates_once_and_reopens(tmp_path: Path) -> None:
    db = tmp_path / "d" / "index.sqlite3"
    Catalog(db).close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    Catalog(db).close()


def test_missing_db_is_not_created_when_reading(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        Catalog(tmp_path / "none.sqlite3", create=False)
    assert not (tmp_path / "none.sqlite3").exists()


def test_articles_round_trip_and_stats(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "i.sqlite3")
    a = Article("b", "/x/b.txt", "Title B", "Globe", "2024-01-01", "", "Ann", "hash-b")
    cat.put(a, "text of b", 3)
    cat.put(Article("a", "/x/a.txt", content_hash="hash-a"), "text of a", 2)
    assert cat.article("b") == replace(a, **dated_fields(article_date("2024-01-01", "")))
    assert cat.article_text("b") == "text of b"
    assert cat.article("zzz") is None and cat.article_text("zzz") is None
    assert [(x.id, n) for x, n in cat.list_articles()] == [("a", 2), ("b", 3)]
    assert cat.stats() == {"articles": 2, "chunks": 5}
    assert cat.hashes() == {"a": "hash-a", "b": "hash-b"}
    assert cat.hashes(["b", "q"]) == {"b": "hash-b"}
    cat.set_path("a", "/y/a.txt")
    assert cat.paths()["a"] == "/y/a.txt"
    cat.remove("a")
    assert cat.stats() == {"articles": 1, "chunks": 3}
    cat.clear()
    assert cat.stats() == {"articles": 0, "chunks": 0}


def test_meta_and_bm25_flag(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "i.sqlite3")
    assert cat.embedding_model is None and not cat.bm25_dirty
    cat.set_meta("embedding_model", "m")
    cat.mark_bm25_dirty(True)
    assert cat.embedding_model == "m" and cat.bm25_dirty
    cat.mark_bm25_dirty(False)
    assert not cat.bm25_dirty
