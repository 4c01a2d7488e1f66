"""The query-side facade: open the persistent index once, get a retriever and an article source.

Opening never writes and never takes the ingest lock, so questions can be asked while an ingest
runs; what they see is the last committed state (see ``hybrid`` for how that stays consistent).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assistant.errors import (
    IndexDamagedError,
    IndexMissingError,
    ModelMismatchError,
    StoreBusyError,
)
from assistant.retrieval.catalog import Catalog
from assistant.retrieval.chroma_store import ChromaStore, collection_for, describe
from assistant.retrieval.hybrid import HybridRetriever, QueryEmbedder
from assistant.settings import Settings


@dataclass
class Index:
    retriever: HybridRetriever
    source: Catalog
    settings: Settings

    def stats(self) -> dict[str, Any]:
        counts = self.source.stats()
        return {
            "articles": counts["articles"],
            "chunks": counts["chunks"],
            "embedding_model": self.source.embedding_model or "",
            "store_mode": self.settings.store.mode,
            "store": describe(self.settings),
        }

    def is_empty(self) -> bool:
        return self.source.stats()["articles"] == 0

    def close(self) -> None:
        self.source.close()


def open_index(settings: Settings, embedder: Any | None = None) -> Index:
    """The index in ``settings.data_dir``; ``embedder`` defaults to ``make_embedder(settings)``.

    Raises IndexMissingError when nothing was ingested yet, IndexDamagedError when the vector
    store lost chunks the catalog lists, StoreConflictError when the collection belongs to
    another index, and ModelMismatchError when the index was built with another embedding
    model than this run would use.
    """
    try:
        catalog = Catalog(settings.index_db, create=False)
    except FileNotFoundError:
        raise IndexMissingError(
            f"no index in {settings.data_dir} — run `assistant ingest` first"
        ) from None
    try:
        return _open(settings, catalog, embedder)
    except BaseException:
        catalog.close()
        raise


def store_name(settings: Settings, catalog: Catalog) -> str:
    """The collection ``catalog``'s index keeps its vectors in (see ``collection_for``)."""
    return collection_for(settings, catalog.collection_name(), catalog.index_id() or "")


def open_store(settings: Settings) -> ChromaStore:
    """The vector store of the index in ``settings.data_dir`` (for tools and tests)."""
    catalog = Catalog(settings.index_db, create=False)
    try:
        return ChromaStore(settings, name=store_name(settings, catalog))
    finally:
        catalog.close()


def check_health(store: ChromaStore, catalog: Catalog) -> None:
    """Refuse another index's collection, and one missing chunks the catalog lists: a
    question would otherwise be refused for lack of passages, silently."""
    held = store.count()  # before the catalog: an ingest writes chunks before their rows
    counts = catalog.stats()
    if store.collection() is None:
        if counts["articles"] and _ingest_running(store.settings):
            raise StoreBusyError(
                "an ingest is swapping in a rebuilt index right now; try again in a moment"
            )
        if counts["articles"]:
            raise IndexDamagedError(
                f"the index is damaged (its vector collection {store.name!r} in"
                f" {describe(store.settings)} is missing); run `assistant ingest --repair`"
            )
        raise IndexMissingError(
            f"no index in {describe(store.settings)} — run `assistant ingest` first"
        )
    store.check_owner(catalog.index_id())
    if held < counts["chunks"] and not _ingest_running(store.settings):
        raise IndexDamagedError(
            f"the index is damaged (the vector store holds {held} of its {counts['chunks']}"
            " chunks); run `assistant ingest --repair`"
        )


def _ingest_running(settings: Settings) -> bool:
    """An ingest deletes an old version's chunks right after committing the new rows: while
    one runs, a count that falls short may be that moment, not damage (and it repairs)."""
    from assistant.retrieval.indexer import ingest_running

    return ingest_running(settings)


def _open(settings: Settings, catalog: Catalog, embedder: Any | None) -> Index:
    if embedder is None:
        from assistant.retrieval.embeddings import make_embedder

        embedder = make_embedder(settings)
    name = str(embedder.name)
    built = catalog.embedding_model
    if built is not None and built != name:
        raise ModelMismatchError(
            f"index was built with {built}; this run uses {name} — run `assistant ingest --rebuild`"
        )
    store = ChromaStore(settings, name=store_name(settings, catalog))
    check_health(store, catalog)
    store.check_model(name)
    query_embedder: QueryEmbedder = embedder
    retriever = HybridRetriever(
        store, settings.bm25_dir, query_embedder, catalog, settings.retrieval
    )
    return Index(retriever=retriever, source=catalog, settings=settings)
