"""First use: when there is no index yet, ingest the seed articles so a fresh install answers.

Only a first run gets the seeds: an index that was built, even if it is empty now or damaged,
is the user's, and the seeds would mix into it unasked.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from assistant.errors import IndexMissingError, StoreBusyError
from assistant.retrieval.catalog import META_SEEDING, Catalog
from assistant.retrieval.index import Index, open_index
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.retrieval.indexer import Progress

BUSY_WAIT_S = 5.0
"""How long a question waits for another process's ingest (a first run, a --rebuild)."""


def ensure_index(settings: Settings, on_status: Callable[[str], None] | None = None) -> Index:
    """Open the index; on a first run (no index was ever built) ingest ``settings.seeds_dir``.

    When another ingest holds the index (it is being built or rebuilt), wait briefly for it
    and use what it built; past ``BUSY_WAIT_S`` say so instead of blaming a second ingest.
    """
    index = _open_filled(settings)
    if index is not None:
        return index
    if not _wait_for_other_ingest(settings, on_status):
        raise StoreBusyError(
            f"the index in {settings.data_dir} is being built or rebuilt by another ingest; "
            "try again in a moment"
        )
    index = _open_filled(settings)
    if index is not None:
        return index
    if not first_run(settings):
        raise IndexMissingError(
            f"the index in {settings.data_dir} is empty — run `assistant ingest PATH`"
        )
    return _ingest_seeds(settings, on_status)


def _open_filled(settings: Settings) -> Index | None:
    try:
        index = open_index(settings)
    except IndexMissingError:
        return None
    if not index.is_empty():
        return index
    index.close()
    return None


def _wait_for_other_ingest(settings: Settings, on_status: Callable[[str], None] | None) -> bool:
    """True once no other process holds the ingest lock; False if it still does after the wait."""
    from assistant.retrieval.indexer import ingest_lock

    deadline = time.monotonic() + BUSY_WAIT_S
    told = False
    while True:
        try:
            with ingest_lock(settings):
                return True
        except StoreBusyError:
            if time.monotonic() >= deadline:
                return False
            if on_status and not told:
                on_status("Another ingest is building the index; waiting for it…")
                told = True
            time.sleep(0.1)


def first_run(settings: Settings) -> bool:
    """No catalog, or one nothing was ever indexed into but the seeds (a killed first run)."""
    if not settings.index_db.exists():
        return True
    catalog = Catalog(settings.index_db, create=False)
    try:
        if catalog.stats()["articles"]:
            return False
        return catalog.embedding_model is None or catalog.get_meta(META_SEEDING) == "1"
    finally:
        catalog.close()


def _ingest_seeds(settings: Settings, on_status: Callable[[str], None] | None) -> Index:
    from assistant.retrieval.chroma_store import make_client
    from assistant.retrieval.indexer import sync

    if settings.store.mode == "server":
        make_client(settings)  # a server that is down is said so, not "no index yet"

    if on_status:
        on_status(
            f"No index yet: ingesting the seed articles from {settings.seeds_dir} (one time)…"
        )
    catalog = Catalog(settings.index_db)
    try:
        catalog.set_meta(META_SEEDING, "1")
    finally:
        catalog.close()
    report = sync([settings.seeds_dir], settings, progress=_progress_lines(on_status))
    if on_status:
        on_status(report.summary())
    index = open_index(settings)
    if index.is_empty():
        index.close()
        raise IndexMissingError(
            f"no articles are indexed and none could be read from {settings.seeds_dir} — "
            "run `assistant ingest PATH`"
        )
    index.source.delete_meta(META_SEEDING)
    return index


def _progress_lines(on_status: Callable[[str], None] | None) -> Progress | None:
    """Ingest progress as the one-line status the chat app shows while it waits."""
    if on_status is None:
        return None
    report = on_status

    def progress(done: int, total: int, name: str) -> None:
        report(f"ingesting the seed articles: {done}/{total}" + (f" · {name}" if name else ""))

    return progress
