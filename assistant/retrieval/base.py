"""The retrieval interface every backend implements, and the article source answerers read."""

from __future__ import annotations

from typing import Protocol

from assistant.types import Article, Filters, Hit


class Retriever(Protocol):
    """Returns the ``k`` best passages for ``query``, best first, ranks 1..k."""

    def retrieve(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]: ...


class ArticleSource(Protocol):
    """Read access to ingested articles: metadata and the exact text offsets refer to."""

    def article(self, article_id: str) -> Article | None: ...

    def article_text(self, article_id: str) -> str | None: ...

    def outlets(self) -> list[str]:
        """Every distinct non-empty outlet, so a question can be matched against them."""
        ...
