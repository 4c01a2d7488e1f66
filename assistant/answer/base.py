"""The answerer interface: evidence in, a stream of events out, ending with ``Done``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from assistant.answer.events import Event
from assistant.retrieval.base import ArticleSource
from assistant.types import Answer, Citation, Hit, Turn


class Answerer(Protocol):
    """Writes an answer from retrieved passages.

    ``stream`` yields ``TextDelta`` and ``CitationAdded`` events and ends with ``Done``
    carrying the full ``Answer`` (backend, model, citations, refusal). Errors a user can act
    on are raised as ``assistant.errors.AssistantError``; the caller turns them into events.
    """

    name: str
    model: str

    def stream(
        self,
        question: str,
        hits: Sequence[Hit],
        source: ArticleSource,
        history: Sequence[Turn] = (),
    ) -> Iterator[Event]: ...


def quote_citation(n: int, hit: Hit, start: int, end: int, quote: str) -> Citation:
    """Citation ``n``: ``quote`` is ``hit``'s article text at ``start:end``, with the chunk's
    article metadata (what the extractive answerers cite)."""
    chunk = hit.chunk
    return Citation(
        n=n,
        quote=quote,
        article_id=chunk.article_id,
        start=start,
        end=end,
        title=chunk.title,
        outlet=chunk.outlet,
        published=chunk.published,
        chunk_id=chunk.id,
    )


def source_label(hit: Hit) -> str:
    """How an answer names a passage's source: "Outlet (2024-05-01)"."""
    chunk = hit.chunk
    who = chunk.outlet or f'the article "{chunk.title or chunk.article_id}" (outlet unknown)'
    return f"{who} ({chunk.published[:10]})" if chunk.published else who


def refusal(
    question: str, reason: str, backend: str, model: str, confidence: float | None = None
) -> Answer:
    """A refusal: "The articles don't say." and its plain reason."""
    return Answer(
        question=question,
        text=f"The articles don't say. {reason}",
        refused=True,
        refusal_reason=reason,
        backend=backend,
        model=model,
        confidence=None if confidence is None else round(confidence, 4),
    )
