"""The query-side facade: open the persistent index once, get a retriever and an article source.

Opening never writes and never takes the ingest lock, so questions can be asked while an ingest
runs; what they see is the last committed state (see ``hybrid`` for how that stays consistent).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assistant.errors import IndexMissingError, ModelMismatchError
from assistant.retrieval.catalog import Catalog
from assistant.retrieval.chroma_store import ChromaStore, describe
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

    Raises IndexMissingError when nothing was ingested yet and ModelMismatchError when the
    index was built with another embedding model than this run would use.
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
    store = ChromaStore(settings)
    if store.collection() is None:
        raise IndexMissingError(f"no index in {describe(settings)} — run `assistant ingest` first")
    store.check_model(name)
    query_embedder: QueryEmbedder = embedder
    retriever = HybridRetriever(
        store, settings.bm25_dir, query_embedder, catalog, settings.retrieval
    )
    return Index(retriever=retriever, source=catalog, settings=settings)
