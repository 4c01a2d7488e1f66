"""An in-memory index for tests of the layers above retrieval: no embeddings, no stores.

``MemoryIndex`` is a ``Retriever`` (pure-Python BM25 over chunks, same ``Filters`` semantics as
the real index) and an ``ArticleSource``, and mimics the ``Index`` facade (``.retriever``,
``.source``, ``stats()``, ``is_empty()``), so it can stand in wherever an opened index is used.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.retrieval.bm25 import document_terms, tokenize
from assistant.types import Article, Chunk, Filters, Hit

if TYPE_CHECKING:
    from assistant.ingest.prepare import Prepared
    from assistant.settings import Settings

_K1 = 1.5
_B = 0.75


class MemoryIndex:
    def __init__(
        self, documents: Iterable[Prepared | tuple[Article, str, Sequence[Chunk]]] = ()
    ) -> None:
        self._articles: dict[str, tuple[Article, str]] = {}
        self._chunks: list[Chunk] = []
        self._terms: list[Counter[str]] = []
        self._df: Counter[str] = Counter()
        self._total_len = 0
        for doc in documents:
            if isinstance(doc, tuple):
                self.add(*doc)
            else:
                self.add(doc.article, doc.text, doc.chunks)

    @classmethod
    def from_paths(cls, paths: Sequence[Path], settings: Settings) -> MemoryIndex:
        """Prepare files the way ingest does; a file that fails to load raises its LoadError."""
        from assistant.ingest.loaders import discover
        from assistant.ingest.prepare import prepare

        files, errors = discover(list(paths))
        if errors:
            raise errors[0]
        return cls(prepare(path, article_id, settings) for path, article_id in files)

    def add(self, article: Article, text: str, chunks: Sequence[Chunk]) -> None:
        if article.id in self._articles:
            raise ValueError(f"article {article.id} is already in the index")
        self._articles[article.id] = (article, text)
        for chunk in chunks:
            terms = Counter(document_terms(chunk))
            self._chunks.append(chunk)
            self._terms.append(terms)
            self._df.update(terms.keys())
            self._total_len += sum(terms.values())

    # Index facade
    @property
    def retriever(self) -> MemoryIndex:
        return self

    @property
    def source(self) -> MemoryIndex:
        return self

    def stats(self) -> dict[str, Any]:
        return {
            "articles": len(self._articles),
            "chunks": len(self._chunks),
            "embedding_model": "",
            "store_mode": "memory",
            "store": "memory",
        }

    def is_empty(self) -> bool:
        return not self._articles

    def list_articles(self) -> list[tuple[Article, int]]:
        counts = Counter(c.article_id for c in self._chunks)
        return [(a, counts[i]) for i, (a, _) in sorted(self._articles.items())]

    # ArticleSource
    def article(self, article_id: str) -> Article | None:
        entry = self._articles.get(article_id)
        return entry[0] if entry else None

    def article_text(self, article_id: str) -> str | None:
        entry = self._articles.get(article_id)
        return entry[1] if entry else None

    def outlets(self) -> list[str]:
        return sorted({a.outlet for a, _ in self._articles.values() if a.outlet})

    def newest_date(self) -> str:
        dated = [a.published[:10] for a, _ in self._articles.values() if a.published]
        return max(dated, default="")

    # Retriever
    def retrieve(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        query_terms = set(tokenize(query))
        if k <= 0 or not query_terms or not self._chunks:
            return []
        n = len(self._chunks)
        avg_len = self._total_len / n or 1.0
        idf = {t: math.log(1 + (n - self._df[t] + 0.5) / (self._df[t] + 0.5)) for t in query_terms}
        scored = []
        for chunk, terms in zip(self._chunks, self._terms, strict=True):
            if filters is not None and not filters.accepts(chunk):
                continue
            length = sum(terms.values())
            score = 0.0
            for t in query_terms:
                tf = terms.get(t, 0)
                if tf:
                    score += idf[t] * tf * (_K1 + 1) / (tf + _K1 * (1 - _B + _B * length / avg_len))
            if score > 0:
                scored.append((score, chunk))
        scored.sort(key=lambda sc: (-sc[0], sc[1].id))
        return [Hit(chunk, score, rank) for rank, (score, chunk) in enumerate(scored[:k], start=1)]
