"""Hybrid retrieval: dense (Chroma) and lexical (BM25) rankings fused by reciprocal rank.

Every candidate is checked against the catalog: a chunk counts only if its article is in the
catalog with the same content hash. After a crash mid-ingest the three stores can disagree for
one article; this check keeps quotes verifiable against the text the catalog holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from assistant.retrieval import bm25
from assistant.retrieval.chroma_store import ChromaStore
from assistant.settings import RetrievalSettings
from assistant.types import Chunk, Filters, Hit

if TYPE_CHECKING:
    import numpy as np


class QueryEmbedder(Protocol):
    def embed_query(self, text: str) -> np.ndarray: ...


class HashSource(Protocol):
    def hashes(self, article_ids: list[str] | None = None) -> dict[str, str]: ...


def rrf(rankings: Sequence[tuple[float, Sequence[str]]], rrf_k: int) -> dict[str, float]:
    """``{id: sum(weight / (rrf_k + rank))}`` over ``(weight, ids best first)`` rankings."""
    fused: dict[str, float] = {}
    for weight, ids in rankings:
        for rank, cid in enumerate(ids, start=1):
            fused[cid] = fused.get(cid, 0.0) + weight / (rrf_k + rank)
    return fused


class HybridRetriever:
    """A ``Retriever`` over the persistent index (Chroma + BM25 + catalog)."""

    def __init__(
        self,
        store: ChromaStore,
        bm25_dir: Path,
        embedder: QueryEmbedder,
        catalog: HashSource,
        settings: RetrievalSettings,
    ) -> None:
        self.store = store
        self.bm25_dir = bm25_dir
        self.embedder = embedder
        self.catalog = catalog
        self.settings = settings
        store.warm_up()

    def retrieve(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        if k <= 0 or not query.strip():
            return []
        n = max(self.settings.fetch_k, k)
        accept = None if filters is None or filters.is_empty() else filters.accepts
        similar: dict[str, float] = {}
        dense = self._dense(query, n, filters, similar)
        lexical = self._lexical(query, n, accept)
        if accept is not None:
            dense = [h for h in dense if accept(h[0])]
        known = self.catalog.hashes(sorted({c.article_id for c, _ in dense + lexical}))
        dense = [(c, h) for c, h in dense if known.get(c.article_id) == h]
        lexical = [(c, h) for c, h in lexical if known.get(c.article_id) == h]
        lexical = self._drop_missing(lexical, {c.id for c, _ in dense})
        chunks = {c.id: c for c, _ in lexical} | {c.id: c for c, _ in dense}
        fused = rrf(
            [
                (self.settings.dense_weight, [c.id for c, _ in dense]),
                (self.settings.bm25_weight, [c.id for c, _ in lexical]),
            ],
            self.settings.rrf_k,
        )
        best = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        floor = min(similar.values(), default=None)  # a chunk dense did not return is below
        return [
            Hit(chunks[cid], score, rank, similar.get(cid, floor))
            for rank, (cid, score) in enumerate(best, start=1)
        ]

    def _dense(
        self, query: str, n: int, filters: Filters | None, similar: dict[str, float] | None = None
    ) -> list[tuple[Chunk, str]]:
        """The dense stage's chunks, best first; their cosines to the query go in ``similar``."""
        if self.settings.dense_weight <= 0:
            return []
        vector = self.embedder.embed_query(query)
        found = self.store.query(vector, n, filters)
        if similar is not None:
            similar.update((h.chunk.id, 1.0 - h.distance) for h in found)
        return [(h.chunk, h.content_hash) for h in found]

    def _lexical(
        self, query: str, n: int, accept: Callable[[Chunk], bool] | None
    ) -> list[tuple[Chunk, str]]:
        if self.settings.bm25_weight <= 0:
            return []
        index = bm25.load(self.bm25_dir)
        if index is None:
            return []
        hits = index.search(query, n, accept)
        return [(h.chunk, h.content_hash) for h in hits]

    def _drop_missing(
        self, lexical: list[tuple[Chunk, str]], in_dense: set[str]
    ) -> list[tuple[Chunk, str]]:
        """BM25 can lag Chroma after a crash: keep only chunks Chroma still holds."""
        unknown = [c.id for c, _ in lexical if c.id not in in_dense]
        if not unknown:
            return lexical
        present = in_dense | self.store.existing(unknown)
        return [(c, h) for c, h in lexical if c.id in present]

    def stage_hits(
        self, query: str, k: int, filters: Filters | None = None
    ) -> dict[str, list[Hit]]:
        """The top ``k`` of each stage alone ("dense", "bm25") and of the fusion ("fused"), so
        evals can say which stage finds the article. Diagnostic: stages skip the catalog check."""
        n = max(self.settings.fetch_k, k)
        accept = None if filters is None or filters.is_empty() else filters.accepts
        dense = [c for c, _ in self._dense(query, n, filters) if accept is None or accept(c)]
        lexical = [c for c, _ in self._lexical(query, n, accept)]
        stages = {"dense": dense, "bm25": lexical}
        out = {
            name: [Hit(c, 1.0 / rank, rank) for rank, c in enumerate(found[:k], start=1)]
            for name, found in stages.items()
        }
        out["fused"] = self.retrieve(query, k, filters)
        return out
