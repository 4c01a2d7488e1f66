"""First use: when there is no index yet, ingest the seed articles so a fresh install answers."""

from __future__ import annotations

from collections.abc import Callable

from assistant.errors import IndexMissingError
from assistant.retrieval.index import Index, open_index
from assistant.settings import Settings


def ensure_index(settings: Settings, on_status: Callable[[str], None] | None = None) -> Index:
    """Open the index, ingesting ``settings.seeds_dir`` first when there is none or it is empty."""
    try:
        index = open_index(settings)
        if not index.is_empty():
            return index
        index.close()
    except IndexMissingError:
        pass
    from assistant.retrieval.indexer import sync

    if on_status:
        on_status(
            f"No index yet: ingesting the seed articles from {settings.seeds_dir} (one time)…"
        )
    report = sync([settings.seeds_dir], settings)
    if on_status:
        on_status(report.summary())
    index = open_index(settings)
    if index.is_empty():
        index.close()
        raise IndexMissingError(
            f"no articles are indexed and none could be read from {settings.seeds_dir} — "
            "run `assistant ingest PATH`"
        )
    return index
