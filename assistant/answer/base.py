"""The answerer interface (evidence in, a stream of events out, ending with ``Done``) and
what the extractive answerers share: their citations, source labels, quote lines, refusals."""

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


class Quotable(Protocol):
    """A candidate quote: its article, its offsets and its terms."""

    article_id: str
    start: int
    end: int
    terms: set[str]


def near_duplicate(a: Quotable, b: Quotable) -> bool:
    """Two quotes that overlap in one article, or share over 60% of their terms."""
    if a.article_id == b.article_id and a.start < b.end and b.start < a.end:
        return True
    union = a.terms | b.terms
    return bool(union) and len(a.terms & b.terms) / len(union) > 0.6


def quoted_text(citations: Sequence[Citation], hits: Sequence[Hit]) -> str:
    """Each quote on its line with its source: "According to X: “…” [1]", then "It adds:"
    for the same article or "Y also reports:" for another."""
    parts: list[str] = []
    previous = ""
    for c, hit in zip(citations, hits, strict=True):
        if c.n == 1:
            lead = f"According to {source_label(hit)}:"
        elif c.article_id == previous:
            lead = "It adds:"
        else:
            lead = f"{source_label(hit)} also reports:"
        parts.append(f"{lead} “{c.quote}” [{c.n}]")
        previous = c.article_id
    return "\n".join(parts)
