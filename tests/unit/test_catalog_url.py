"""Articles carry the URL they were fetched from; an index made before the column still opens."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from assistant.retrieval.catalog import MIGRATIONS, Catalog
from assistant.types import Article


def test_url_round_trips(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "index.sqlite3")
    cat.put(Article("a", "/x/a.html", title="T", url="https://example.org/a"), "text", 1)
    got = cat.article("a")
    assert got is not None and (got.path, got.title, got.url) == (
        "/x/a.html", "T", "https://example.org/a"
    )  # fmt: skip
    assert cat.list_articles()[0][0].url == "https://example.org/a"
    cat.close()


def test_index_from_before_urls_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "index.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute(
        "INSERT INTO articles VALUES ('old.txt', '/x/old.txt', 'Old', '', '', '', '', 'h',"
        " 'old text', 1, '2026-01-01')"
    )
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    cat = Catalog(path)
    got = cat.article("old.txt")
    assert got is not None and (got.title, got.content_hash, got.url) == ("Old", "h", "")
    assert cat.article_text("old.txt") == "old text"
    cat.close()
