"""The answerer interface: evidence in, a stream of events out, ending with ``Done``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from assistant.answer.events import Event
from assistant.retrieval.base import ArticleSource
from assistant.types import Hit, Turn


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
