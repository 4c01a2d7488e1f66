"""SQLite manifest of the index: which articles are in it, their text and hash, index metadata.

The catalog is the source of truth for "is this article indexed, and which version": the
indexer commits an article's row only after its chunks are in Chroma, so a row always
describes chunks that exist.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.files import private_file
from assistant.text.dates import ArticleDate, article_date, date_of, dated_fields
from assistant.types import Article

MIGRATIONS: list[str] = [
    # 1: articles and index metadata
    """
    CREATE TABLE articles (
        id TEXT PRIMARY KEY,
        path TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        outlet TEXT NOT NULL DEFAULT '',
        published TEXT NOT NULL DEFAULT '',
        updated TEXT NOT NULL DEFAULT '',
        byline TEXT NOT NULL DEFAULT '',
        content_hash TEXT NOT NULL,
        text TEXT NOT NULL,
        chunk_count INTEGER NOT NULL,
        ingested_at TEXT NOT NULL
    );
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 2: where a fetched article came from (web page, feed entry, dump record)
    """
    ALTER TABLE articles ADD COLUMN url TEXT NOT NULL DEFAULT '';
    """,
    # 3: how sure each article's date is (JSON of text.dates.ArticleDate; '' = compute on read)
    "ALTER TABLE articles ADD COLUMN dates TEXT NOT NULL DEFAULT ''",
]

_ARTICLE_COLUMNS = "id, path, title, outlet, published, updated, byline, content_hash, url"
_DATED_COLUMNS = _ARTICLE_COLUMNS + ", dates"
_N_ARTICLE = len(_ARTICLE_COLUMNS.split(","))

META_MODEL = "embedding_model"
META_DIM = "embedding_dim"
META_BM25_DIRTY = "bm25_dirty"
META_INDEX_ID = "index_id"
META_COLLECTION = "collection"
META_SEEDING = "seeding"
LEGACY_COLLECTION = "articles"


class Catalog:
    """Articles and index metadata in ``settings.index_db``; also an ``ArticleSource``."""

    def __init__(self, path: Path, *, create: bool = True) -> None:
        self.path = path
        if create:
            private_file(path)
        elif not path.exists():
            raise FileNotFoundError(path)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            path, timeout=10.0, isolation_level=None, check_same_thread=False
        )
        self._conn.execute("PRAGMA busy_timeout = 10000")
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = NORMAL")
        self._migrate()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _migrate(self) -> None:
        if self._query("PRAGMA user_version")[0][0] == len(MIGRATIONS):
            return
        with self._tx() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in filter(str.strip, script.split(";")):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: writers queue on the busy timeout instead of failing."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    # ArticleSource
    def article(self, article_id: str) -> Article | None:
        rows = self._query(f"SELECT {_DATED_COLUMNS} FROM articles WHERE id = ?", (article_id,))
        return self._dated(rows[0]) if rows else None

    def _dated(self, row: tuple[Any, ...]) -> Article:
        """An article with its date model: the stored one, else computed from its text."""
        article = Article(*row[:_N_ARTICLE])
        if row[_N_ARTICLE]:
            date = ArticleDate.from_json(json.loads(row[_N_ARTICLE]))
        else:
            text = self.article_text(article.id) or ""
            date = article_date(article.published, article.updated, text)
        return Article(*row[:_N_ARTICLE], **dated_fields(date))

    def article_text(self, article_id: str) -> str | None:
        rows = self._query("SELECT text FROM articles WHERE id = ?", (article_id,))
        return str(rows[0][0]) if rows else None

    def outlets(self) -> list[str]:
        rows = self._query(
            "SELECT DISTINCT outlet FROM articles WHERE outlet != '' ORDER BY outlet"
        )
        return [str(r[0]) for r in rows]

    def newest_date(self) -> str:
        """The newest stated publication date (ISO day), "" when no article is dated."""
        rows = self._query(
            "SELECT MAX(substr(published, 1, 10)) FROM articles WHERE published != ''"
        )
        return str(rows[0][0]) if rows and rows[0][0] else ""

    # Listing and stats
    def list_articles(self) -> list[tuple[Article, int]]:
        """Every article with its chunk count, ordered by id."""
        rows = self._query(f"SELECT {_DATED_COLUMNS}, chunk_count FROM articles ORDER BY id")
        return [(self._dated(row[:-1]), int(row[-1])) for row in rows]

    def hashes(self, article_ids: list[str] | None = None) -> dict[str, str]:
        """``{article_id: content_hash}``, for all articles or just ``article_ids``."""
        if article_ids is None:
            rows = self._query("SELECT id, content_hash FROM articles")
        else:
            marks = ",".join("?" * len(article_ids))
            rows = self._query(
                f"SELECT id, content_hash FROM articles WHERE id IN ({marks})",
                tuple(article_ids),
            )
        return {str(i): str(h) for i, h in rows}

    def paths(self) -> dict[str, str]:
        return {str(i): str(p) for i, p in self._query("SELECT id, path FROM articles")}

    def stats(self) -> dict[str, int]:
        articles, chunks = self._query(
            "SELECT COUNT(*), COALESCE(SUM(chunk_count), 0) FROM articles"
        )[0]
        return {"articles": int(articles), "chunks": int(chunks)}

    # Writes
    def put(self, article: Article, text: str, chunk_count: int) -> None:
        """Insert or replace one article's row in its own transaction."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO articles (id, path, title, outlet, published, updated,"
                " byline, content_hash, text, chunk_count, ingested_at, url, dates)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    article.id, article.path, article.title, article.outlet,
                    article.published, article.updated, article.byline,
                    article.content_hash, text, chunk_count, now, article.url,
                    _dates_json(article, text),
                ),
            )  # fmt: skip

    def adopt(self, staging: Path, extra_meta: dict[str, str]) -> None:
        """Replace every article and all metadata but the index id with ``staging``'s, in one
        transaction (the swap at the end of ``ingest --rebuild``), then add ``extra_meta``."""
        keep = META_INDEX_ID
        with self._lock:
            self._conn.execute("ATTACH DATABASE ? AS staging", (str(staging),))
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    db = self._conn
                    db.execute("DELETE FROM main.articles")
                    db.execute("INSERT INTO main.articles SELECT * FROM staging.articles")
                    db.execute("DELETE FROM main.meta WHERE key != ?", (keep,))
                    db.execute(
                        "INSERT INTO main.meta SELECT key, value FROM staging.meta WHERE key != ?",
                        (keep,),
                    )
                    db.executemany(
                        "INSERT OR REPLACE INTO main.meta (key, value) VALUES (?, ?)",
                        list(extra_meta.items()),
                    )
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
            finally:
                self._conn.execute("DETACH DATABASE staging")

    def set_path(self, article_id: str, path: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE articles SET path = ? WHERE id = ?", (path, article_id))

    def remove(self, article_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM articles WHERE id = ?", (article_id,))

    def clear(self) -> None:
        """Forget every article and all metadata (``ingest --rebuild``)."""
        with self._tx() as db:
            db.execute("DELETE FROM articles")
            db.execute("DELETE FROM meta")

    # Metadata
    def get_meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def delete_meta(self, key: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM meta WHERE key = ?", (key,))

    def index_id(self, *, create: bool = False) -> str | None:
        """This index's stable id: it names and owns its Chroma collection (see chroma_store)."""
        found = self.get_meta(META_INDEX_ID)
        if found is None and create:
            import uuid

            found = uuid.uuid4().hex
            with self._tx() as db:
                db.execute(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (META_INDEX_ID, found)
                )
            found = self.get_meta(META_INDEX_ID)
        return found

    def collection_name(self) -> str | None:
        """The collection this index's vectors live in; ``articles`` for an index built
        before the name was recorded."""
        stored = self.get_meta(META_COLLECTION)
        if stored is None and self.embedding_model is not None:
            return LEGACY_COLLECTION
        return stored

    @property
    def bm25_dirty(self) -> bool:
        return self.get_meta(META_BM25_DIRTY) == "1"

    def mark_bm25_dirty(self, dirty: bool) -> None:
        self.set_meta(META_BM25_DIRTY, "1" if dirty else "0")

    @property
    def embedding_model(self) -> str | None:
        return self.get_meta(META_MODEL)


def _dates_json(article: Article, text: str) -> str:
    """The article's date model as stored: the one ingest computed, else computed here."""
    return json.dumps(date_of(article, text).to_json(), ensure_ascii=False)
