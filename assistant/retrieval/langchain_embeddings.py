"""Adapter from our ``Embedder`` to LangChain's ``Embeddings``, for langchain-chroma.

Kept apart from ``embeddings`` because importing langchain_core costs the query path time.
"""

from __future__ import annotations

from langchain_core.embeddings import Embeddings

from assistant.retrieval.embeddings import Embedder


class LangChainEmbeddings(Embeddings):
    """Wraps an ``Embedder``; vectors come back as lists of Python floats."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_documents(texts).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_query(text).tolist()  # type: ignore[no-any-return]
