"""The answering API the CLI, the chat app and the evals share: rewrite → retrieve → answer.

``Assistant.stream`` yields events (Retrieved, TextDelta, CitationAdded, Done, Failed); errors a
user can act on end the stream with ``Failed`` rather than escaping as exceptions, so callers
render them as one line. Components are injected; ``Assistant.from_settings`` builds the
defaults (the on-disk index, the configured answerer).
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from assistant.answer.base import Answerer
from assistant.answer.enrich import enrich_citation
from assistant.answer.events import CitationAdded, Done, Event, Failed, Retrieved, TextDelta
from assistant.answer.perspectives import coverage_note, perspectives, widen
from assistant.answer.rewrite import Rewriter, make_rewriter
from assistant.errors import AssistantError, InputError
from assistant.retrieval.base import ArticleSource, Retriever
from assistant.retrieval.recency import dates_from, rerank_by_time, resolve_hint
from assistant.settings import Settings, load_settings
from assistant.text.dates import question_time
from assistant.types import Answer, Filters, Hit, Turn


@dataclass
class IndexInfo:
    """What the header of the chat app and ``--json`` report about the index."""

    articles: int = 0
    chunks: int = 0
    embedding_model: str = ""
    store: str = ""


def clean_question(question: str, max_chars: int) -> str:
    """Validate a question: one clear InputError for empty, huge or control-character input."""
    if len(question) > max_chars:
        raise InputError(
            f"the question is {len(question):,} characters; the limit is {max_chars:,} "
            "(ASSISTANT_ANSWER__MAX_QUESTION_CHARS)"
        )
    kept = "".join(
        " " if ch in "\t\r\n" else ch
        for ch in question
        if ch in "\t\r\n" or unicodedata.category(ch)[0] != "C"
    )
    kept = " ".join(kept.split())
    if not kept:
        raise InputError("the question is empty")
    return kept


class Assistant:
    """Answers questions over an index. Thread-safe to call from one worker at a time."""

    def __init__(
        self,
        settings: Settings,
        *,
        retriever: Retriever,
        source: ArticleSource,
        answerer: Answerer,
        rewriter: Rewriter | None = None,
        info: IndexInfo | None = None,
    ) -> None:
        self.settings = settings
        self.retriever = retriever
        self.source = source
        self.answerer = answerer
        self.rewriter = rewriter or make_rewriter(settings, None)
        self.info = info or IndexInfo()
        self._outlets: list[str] | None = None
        self.article_date = dates_from(source)
        self.perspectives = False
        self._newest: str | None = None

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        *,
        on_status: Callable[[str], None] | None = None,
    ) -> Assistant:
        """The default assistant: the on-disk index (seeds ingested if empty) and the
        configured backend. ``on_status`` receives one-line progress messages."""
        from assistant.answer.factory import make_answerer
        from assistant.retrieval.bootstrap import ensure_index

        settings = settings or load_settings()
        index = ensure_index(settings, on_status=on_status)
        answerer, chat_model = make_answerer(settings)
        stats: dict[str, Any] = index.stats()
        info = IndexInfo(
            articles=int(stats.get("articles", 0)),
            chunks=int(stats.get("chunks", 0)),
            embedding_model=str(stats.get("embedding_model", "")),
            store=str(stats.get("store", "")),
        )
        return cls(
            settings,
            retriever=index.retriever,
            source=index.source,
            answerer=answerer,
            rewriter=make_rewriter(settings, chat_model),
            info=info,
        )

    @property
    def backend(self) -> str:
        return self.answerer.name

    @property
    def model(self) -> str:
        return self.answerer.model

    def stream(
        self,
        question: str,
        history: Sequence[Turn] = (),
        *,
        filters: Filters | None = None,
        k: int | None = None,
        cancel: threading.Event | None = None,
        perspectives: bool | None = None,
    ) -> Iterator[Event]:
        """Answer ``question`` in the context of ``history``; the last event is Done or Failed.

        Setting ``cancel`` stops the answer between events: Done then carries what was
        produced so far with ``stopped=True``. ``perspectives`` (default: the attribute of
        the same name, which the CLI flag and the chat app's toggle set) adds who says what.
        """
        wanted = self.perspectives if perspectives is None else perspectives
        try:
            yield from self._stream(question, history, filters, k, cancel, wanted)
        except AssistantError as err:
            yield Failed(message=str(err), kind=err.kind, exit_code=err.exit_code)

    def ask(self, question: str, history: Sequence[Turn] = (), **kwargs: Any) -> Answer:
        """The final Answer of ``stream``; raises the AssistantError a Failed event carries."""
        for event in self.stream(question, history, **kwargs):
            if isinstance(event, Done):
                return event.answer
            if isinstance(event, Failed):
                raise error_from(event)
        raise AssistantError("the answer stream ended without a result")

    def _as_of(self, filters: Filters | None) -> str:
        """"Now" for relative time words: the asked date, else the newest article's date."""
        if filters is not None and filters.as_of:
            return filters.as_of
        if self._newest is None:
            newest = getattr(self.source, "newest_date", None)
            self._newest = newest() if callable(newest) else ""
        return self._newest

    def _retrieve(self, question: str, k: int, filters: Filters | None) -> tuple[list[Hit], str]:
        """The passages, and the outlet they were restricted to because the question names it
        (when that outlet has anything on it); explicit filters always win."""
        if filters is None or filters.is_empty():
            outlet = named_outlet(question, self.known_outlets())
            if outlet:
                hits = self.retriever.retrieve(question, k, Filters(outlets=(outlet,)))
                if hits:
                    return hits, outlet
        hint = question_time(question, filters.as_of if filters else "")
        n = max(3 * k, 30) if hint else k
        if filters is not None and filters.include_inferred and (filters.since or filters.until):
            hits = self._retrieve_inferred(question, n, filters)
        else:
            hits = self.retriever.retrieve(question, n, filters)
        return (self._by_time(question, hits, filters)[:k] if hint else hits), ""

    def _by_time(self, question: str, hits: list[Hit], filters: Filters | None) -> list[Hit]:
        """Passages of the time the question asks about first ("in 2021", "most recently",
        "before the Anchorage meeting"), relative to ``as_of`` or the newest article."""
        hint = question_time(question, filters.as_of if filters else "")
        hint = resolve_hint(hint, self.retriever, self.article_date)
        return rerank_by_time(hits, hint, self.article_date)

    def _who_says_what(
        self,
        question: str,
        hits: list[Hit],
        answer: Answer,
        history: Sequence[Turn],
        filters: Filters | None,
        named: str,
    ) -> Answer:
        """``answer`` with one block per outlet, from a wider retrieval (only the named
        outlet's passages when the question names one)."""
        k = max(len(hits), 1)
        if named:
            wide = widen(self.retriever, question, hits, k, Filters(outlets=(named,)), [])
        else:
            wide = widen(self.retriever, question, hits, k, filters, self.known_outlets())
        blocks, citations = perspectives(
            question, wide, self.source, self.answerer, answer, history
        )
        return replace(answer, perspectives=blocks, citations=citations)

    def known_outlets(self) -> list[str]:
        if self._outlets is None:  # once per process: a scan of the catalog otherwise
            self._outlets = self.source.outlets()
        return self._outlets

    def _retrieve_inferred(self, question: str, k: int, filters: Filters) -> list[Hit]:
        """Date bounds that also take inferred dates: retrieve without them, then keep the
        passages whose article could be from the range (stated, inferred or update-only)."""
        wide = replace(filters, since="", until="", include_inferred=False)
        hits = self.retriever.retrieve(question, max(4 * k, 40), None if wide.is_empty() else wide)
        kept = [
            h
            for h in hits
            if self.article_date(h.chunk.article_id).overlaps(filters.since, filters.until)
        ]
        return [replace(h, rank=rank) for rank, h in enumerate(kept[:k], start=1)]

    def _stream(
        self,
        question: str,
        history: Sequence[Turn],
        filters: Filters | None,
        k: int | None,
        cancel: threading.Event | None,
        wanted: bool = False,
    ) -> Iterator[Event]:
        started = time.perf_counter()
        question = clean_question(question, self.settings.answer.max_question_chars)
        standalone = self.rewriter.rewrite(question, history) if history else question
        rewritten = time.perf_counter()
        k = k or self.settings.retrieval.k
        pool_k = max(k, getattr(self.answerer, "pool_k", 0))  # a re-ranking answerer reads more
        hits, answered_from = self._retrieve(standalone, pool_k, filters)
        retrieved = time.perf_counter()
        yield Retrieved(hits=hits[:k], standalone_question=standalone)
        final: Answer | None = None
        partial = Answer(question=question, backend=self.backend, model=self.model, stopped=True)
        options = {"as_of": self._as_of(filters)} if getattr(self.answerer, "uses_as_of", 0) else {}
        for event in self.answerer.stream(standalone, hits, self.source, history, **options):
            if isinstance(event, Done):
                final = event.answer
                break
            if isinstance(event, TextDelta):
                partial.text += event.text
            elif isinstance(event, CitationAdded):
                event = CitationAdded(enrich_citation(event.citation, self.source))
                partial.citations.append(event.citation)
            yield event
            if cancel is not None and cancel.is_set():
                final = partial
                break
        if final is None:
            raise AssistantError("the answerer ended without an answer")
        timings = {
            "rewrite_s": rewritten - started,
            "retrieve_s": retrieved - rewritten,
            "answer_s": time.perf_counter() - retrieved,
            "total_s": time.perf_counter() - started,
        }
        notes = list(final.notes)
        if answered_from:
            notes.append(f"Answered from {answered_from} only: the question names it.")
        final = replace(final, citations=[enrich_citation(c, self.source) for c in final.citations])
        if wanted and not final.stopped:
            final = self._who_says_what(standalone, hits, final, history, filters, answered_from)
            notes.append(coverage_note(final.perspectives or [], answered_from))
        yield Done(
            replace(
                final,
                notes=notes,
                question=question,
                standalone_question=standalone,
                evidence=list(final.evidence or hits[:k]),
                timings={**final.timings, **timings},
            )
        )


def named_outlet(question: str, outlets: Sequence[str]) -> str:
    """The one known outlet a question names ("according to the Global Times"), if exactly one."""
    lowered = question.casefold()
    named = [o for o in outlets if re.search(rf"\b{re.escape(o.casefold())}\b", lowered)]
    return named[0] if len(named) == 1 else ""


def error_from(event: Failed) -> AssistantError:
    """The AssistantError subclass a Failed event stands for (same kind, same exit code)."""
    from assistant import errors

    for cls in vars(errors).values():
        if isinstance(cls, type) and issubclass(cls, AssistantError) and cls.kind == event.kind:
            return cls(event.message)
    return AssistantError(event.message)
