"""RSS and Atom feeds: the feed list, conditional fetches, and new entries saved as articles.

Feeds and the entries already taken live in ``<data>/feeds.sqlite3``. An update asks each
feed with its ETag/Last-Modified, skips entries it has seen, and saves each new entry as a
page in the data dir: the entry's own content when it is the full text, else the page its
link points to. Nothing is marked seen (and no validator stored) until the caller has
indexed the files, so an interrupted update loses nothing.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from assistant.errors import InputError
from assistant.files import private_file
from assistant.ingest.fetch import FEED_TYPES, Fetched, FetchError, fetch, make_client
from assistant.ingest.web import save_page
from assistant.settings import Settings

FULL_TEXT_CHARS = 1000
"""Entry content with at least this much text (tags aside) is taken as the article itself."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY,
    title TEXT NOT NULL DEFAULT '',
    etag TEXT NOT NULL DEFAULT '',
    modified TEXT NOT NULL DEFAULT '',
    added_at TEXT NOT NULL,
    checked_at TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS entries (
    feed_url TEXT NOT NULL,
    key TEXT NOT NULL,
    link TEXT NOT NULL DEFAULT '',
    seen_at TEXT NOT NULL,
    PRIMARY KEY (feed_url, key)
);
"""


@dataclass(frozen=True)
class Feed:
    url: str
    title: str = ""
    etag: str = ""
    modified: str = ""
    checked_at: str = ""
    last_error: str = ""
    seen: int = 0


@dataclass
class FeedResult:
    """One feed's update: its line for the user, and what to record once indexed."""

    url: str
    line: str = ""
    failed: bool = False
    paths: list[Path] = field(default_factory=list)
    entry_failures: list[str] = field(default_factory=list)
    seen: list[tuple[str, str]] = field(default_factory=list)
    title: str = ""
    etag: str = ""
    modified: str = ""


class FeedStore:
    def __init__(self, path: Path) -> None:
        private_file(path)
        self._db = sqlite3.connect(path, timeout=10.0, isolation_level=None)
        self._db.execute("PRAGMA busy_timeout = 10000")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def add(self, url: str, title: str = "") -> bool:
        """False when the feed was already listed."""
        with self._tx() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO feeds (url, title, added_at) VALUES (?, ?, ?)",
                (url, title, _now()),
            )
        return cur.rowcount == 1

    def remove(self, url: str) -> bool:
        with self._tx() as db:
            cur = db.execute("DELETE FROM feeds WHERE url = ?", (url,))
            db.execute("DELETE FROM entries WHERE feed_url = ?", (url,))
        return cur.rowcount == 1

    def feeds(self) -> list[Feed]:
        rows = self._db.execute(
            "SELECT f.url, f.title, f.etag, f.modified, f.checked_at, f.last_error,"
            " (SELECT COUNT(*) FROM entries e WHERE e.feed_url = f.url)"
            " FROM feeds f ORDER BY f.rowid"
        ).fetchall()
        return [Feed(*row) for row in rows]

    def seen(self, url: str) -> set[str]:
        rows = self._db.execute("SELECT key FROM entries WHERE feed_url = ?", (url,))
        return {str(r[0]) for r in rows}

    def record(self, result: FeedResult) -> None:
        """After indexing: entries seen, validators for the next conditional request."""
        with self._tx() as db:
            db.executemany(
                "INSERT OR IGNORE INTO entries (feed_url, key, link, seen_at) VALUES (?, ?, ?, ?)",
                [(result.url, key, link, _now()) for key, link in result.seen],
            )
            if result.failed:
                db.execute(
                    "UPDATE feeds SET checked_at = ?, last_error = ? WHERE url = ?",
                    (_now(), result.line, result.url),
                )
                return
            db.execute(
                "UPDATE feeds SET checked_at = ?, last_error = '',"
                " title = CASE WHEN ? != '' THEN ? ELSE title END,"
                " etag = CASE WHEN ? != '' OR ? != '' THEN ? ELSE etag END,"
                " modified = CASE WHEN ? != '' OR ? != '' THEN ? ELSE modified END WHERE url = ?",
                (
                    _now(), result.title, result.title,
                    result.etag, result.modified, result.etag,
                    result.etag, result.modified, result.modified, result.url,
                ),
            )  # fmt: skip


def check_feed(url: str, settings: Settings) -> str:
    """The feed's title; refuses a URL that does not answer with an RSS or Atom feed."""
    try:
        parsed = _parse(url, fetch(url, settings.fetch, accept=FEED_TYPES))
    except FetchError as err:
        raise InputError(str(err)) from None
    return _text(parsed.feed.get("title"))


def update_feeds(settings: Settings, store: FeedStore) -> list[FeedResult]:
    """Every feed's new entries saved as files; a failing feed fails alone."""
    results = []
    with make_client(settings.fetch) as client:
        for feed in store.feeds():
            result = FeedResult(feed.url)
            try:
                _update(feed, settings, store, client, result)
            except FetchError as err:
                result.failed = True
                result.line = f"{feed.url}: failed: {err.reason}"
            results.append(result)
    return results


def _update(feed: Feed, settings: Settings, store: FeedStore, client: Any, out: FeedResult) -> None:
    headers = {}
    if feed.etag:
        headers["If-None-Match"] = feed.etag
    if feed.modified:
        headers["If-Modified-Since"] = feed.modified
    got = fetch(feed.url, settings.fetch, accept=FEED_TYPES, headers=headers, client=client)
    if got.not_modified:
        out.line = f"{feed.url}: not modified"
        return
    parsed = _parse(feed.url, got)
    out.title = _text(parsed.feed.get("title"))
    out.etag, out.modified = got.headers.get("etag", ""), got.headers.get("last-modified", "")
    seen = store.seen(feed.url)
    old = 0
    for entry in parsed.entries:
        key = _entry_key(entry)
        if key in seen:
            old += 1
            continue
        seen.add(key)
        try:
            out.paths.append(_save_entry(entry, out.title, settings, client))
        except FetchError as err:
            out.entry_failures.append(f"{feed.url}: entry {_text(entry.get('title'))!r}: {err}")
            continue
        out.seen.append((key, str(entry.get("link") or "")))
    failed = f", {len(out.entry_failures)} failed" if out.entry_failures else ""
    out.line = f"{feed.url}: {len(out.seen)} new, {old} already seen{failed}"


def _parse(url: str, got: Fetched) -> Any:
    import feedparser

    parsed = feedparser.parse(got.body)
    if not parsed.get("version") and not parsed.entries:
        raise FetchError(url, "not an RSS or Atom feed")
    return parsed


def _save_entry(entry: Any, feed_title: str, settings: Settings, client: Any) -> Path:
    link = str(entry.get("link") or "")
    meta = _entry_meta(entry, feed_title)
    content = _full_text(entry)
    if content:
        title = escape(meta.get("title", ""))
        page = (
            f"<html><head><title>{title}</title></head>"
            f"<body><article><h1>{title}</h1>\n{content}\n</article></body></html>\n"
        )
        key = link or f"feed-entry:{_entry_key(entry)}"
        fetched = Fetched(key, key, 200, "text/html", page.encode("utf-8"))
        return save_page(fetched, settings, meta, prefer_meta=True)
    if not link:
        raise FetchError("(no link)", "entry has neither full text nor a link")
    return save_page(fetch(link, settings.fetch, client=client), settings, meta)


def _full_text(entry: Any) -> str:
    """The entry's HTML content when it holds the article, not a teaser."""
    import re

    for part in entry.get("content") or []:
        value = str(part.get("value") or "")
        if len(" ".join(re.sub(r"<[^>]+>", " ", value).split())) >= FULL_TEXT_CHARS:
            return value
    return ""


def _entry_meta(entry: Any, feed_title: str) -> dict[str, str]:
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    published = time.strftime("%Y-%m-%dT%H:%M", stamp) if stamp else ""
    return {
        "title": _text(entry.get("title")),
        "byline": _text(entry.get("author")),
        "published": published,
        "outlet": feed_title,
    }


def _entry_key(entry: Any) -> str:
    key = entry.get("id") or entry.get("link")
    if key:
        return str(key)
    raw = f"{entry.get('title', '')}\n{entry.get('summary', '')}".encode()
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _text(value: object) -> str:
    return " ".join(str(value or "").split())


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
