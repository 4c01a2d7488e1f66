"""The LLM answerer: numbered passages in; prose with [n] markers and QUOTE lines out; only
quotes found in the articles survive.

The reply format is plain text so that small local models can follow it::

    The minister called the talks useful [2].
    QUOTE [2]: "the talks were candid and useful"

or ``CANNOT_ANSWER: <reason>``. With ``openai.structured`` the same content comes as JSON
matching ``ANSWER_SCHEMA``. Prose streams as ``TextDelta`` while it arrives (its markers are
the model's passage numbers); the QUOTE lines are held back, verified at the end, and ``Done``
carries the authoritative text, whose markers [1]..[m] match the verified citations.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import replace

from assistant.answer.base import Answerer
from assistant.answer.events import CitationAdded, Done, Event, TextDelta
from assistant.answer.models import ChatModel, Message, StructuredChatModel
from assistant.answer.reply_format import (
    ANSWER_SCHEMA,
    MARKER,
    JsonAnswerFilter,
    ProseFilter,
    parse_json_reply,
    parse_reply,
    renumber,
)
from assistant.answer.verify import Verification, check_inline_quotes, verify_quotes
from assistant.errors import EndpointError
from assistant.prompts import CANNOT_ANSWER, Prompts
from assistant.retrieval.base import ArticleSource
from assistant.settings import Settings
from assistant.types import Answer, Hit, Turn, Unverified

FALLBACK_NOTE = "The model's answer had no verifiable quote; showing the extractive answer instead."
NO_QUOTE_REASON = "The model's answer had no quote that could be verified against the articles."
NO_PASSAGE_REASON = "No passage in the index matches the question."
TRUNCATED_NOTE = "The model reached its token limit; its answer may be cut short."
INLINE_NOTE = "The answer's text puts in quotation marks words that are not in the articles."
HISTORY_TURNS = 3

# ---- the answerer -------------------------------------------------------------------------


def _sentence(reason: str, default: str) -> str:
    reason = " ".join(reason.split()).strip(" .") or default.rstrip(".")
    return reason[0].upper() + reason[1:] + "."


class LLMAnswerer:
    """An Answerer backed by a ChatModel; see the module docstring for the protocol."""

    def __init__(
        self,
        model: ChatModel,
        settings: Settings,
        prompts: Prompts,
        fallback: Answerer | None = None,
        *,
        backend: str | None = None,
    ) -> None:
        self._chat = model
        self._prompts = prompts
        configured = settings.answer.backend
        self.name = backend or (configured if configured in ("openai", "local") else "openai")
        self.model = model.name
        self.max_quotes = settings.answer.max_quotes
        self.fallback = fallback if settings.answer.fallback_to_extractive else None
        self.structured = (
            settings.openai.structured
            and self.name == "openai"
            and isinstance(model, StructuredChatModel)
        )

    def messages(
        self, question: str, hits: Sequence[Hit], history: Sequence[Turn]
    ) -> list[Message]:
        p = self._prompts
        if self.structured:
            system = p.answer_system_structured.render(max_quotes=self.max_quotes)
        else:
            system = p.answer_system.render(cannot_answer=CANNOT_ANSWER, max_quotes=self.max_quotes)
        passages = "\n\n".join(
            p.passage.render(
                n=i,
                outlet=h.chunk.outlet or "unknown outlet",
                title=h.chunk.title or h.chunk.article_id,
                date=h.chunk.published[:10] or "undated",
                text=h.chunk.text.strip(),
            ).strip()
            for i, h in enumerate(hits, start=1)
        )
        user = p.answer_user.render(
            history=_history_block(history), passages=passages, question=question
        )
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def stream(
        self,
        question: str,
        hits: Sequence[Hit],
        source: ArticleSource,
        history: Sequence[Turn] = (),
    ) -> Iterator[Event]:
        if not hits:
            yield from self._without_model(question, hits, source, history)
            return
        started = time.perf_counter()
        streamed: list[str] = []
        text = yield from self._generate(self.messages(question, hits, history), streamed)
        timings = {"generate_s": time.perf_counter() - started}
        reply = parse_json_reply(text) if self.structured else parse_reply(text)
        notes = list(reply.notes)
        if getattr(self._chat, "finish_reason", "") == "length":
            notes.append(TRUNCATED_NOTE)
        if reply.cannot_answer is not None and not reply.prose:
            yield Done(
                self._refusal(
                    question,
                    _sentence(reply.cannot_answer, "the passages do not answer the question"),
                    [],
                    notes,
                    timings,
                )
            )
            return
        verification = verify_quotes(reply.claims, hits, source)
        if verification.unverified:
            notes.append(_dropped_note(verification.unverified))
        if not verification.citations:
            if reply.cannot_answer is not None:
                reason = _sentence(reply.cannot_answer, "the passages do not answer the question")
                yield Done(self._refusal(question, reason, verification.unverified, notes, timings))
                return
            yield from self._no_verified_quote(
                question,
                hits,
                source,
                history,
                verification.unverified,
                notes,
                timings,
                bool("".join(streamed).strip()),
            )
            return
        yield from self._verified(question, reply.prose, verification, hits, source, notes, timings)

    def _verified(
        self,
        question: str,
        prose: str,
        verification: Verification,
        hits: Sequence[Hit],
        source: ArticleSource,
        notes: list[str],
        timings: dict[str, float],
    ) -> Iterator[Event]:
        """The answer when at least one quote verified: renumbered markers, its citations."""
        text, citations = renumber(prose, verification)
        if not prose:
            text = "\n".join(f'"{c.quote}" [{c.n}]' for c in citations)
        inline = check_inline_quotes(prose, hits, source)
        if inline:
            notes.append(INLINE_NOTE)
        for citation in citations:
            yield CitationAdded(citation)
        yield Done(
            Answer(
                question=question,
                text=text,
                citations=citations,
                unverified=[*verification.unverified, *inline],
                notes=notes,
                backend=self.name,
                model=self.model,
                timings=timings,
            )
        )

    def _generate(
        self, messages: list[Message], streamed: list[str]
    ) -> Generator[Event, None, str]:
        """Yield the prose as TextDelta; return the whole reply."""
        shown: ProseFilter | JsonAnswerFilter = (
            JsonAnswerFilter() if self.structured else ProseFilter()
        )
        parts: list[str] = []
        for piece in self._pieces(messages):
            parts.append(piece)
            delta = shown.feed(piece)
            if delta:
                streamed.append(delta)
                yield TextDelta(delta)
        tail = shown.finish()
        if tail:
            streamed.append(tail)
            yield TextDelta(tail)
        return "".join(parts)

    def _pieces(self, messages: list[Message]) -> Iterator[str]:
        """The model's stream. One that fails after it started is an EndpointError saying so:
        a half answer is never passed off as a whole one."""
        from assistant.answer.endpoint_errors import map_error

        received = False
        try:
            if self.structured and isinstance(self._chat, StructuredChatModel):
                pieces = self._chat.stream_structured(messages, dict(ANSWER_SCHEMA))
            else:
                pieces = self._chat.stream(messages)
            for piece in pieces:
                received = True
                yield piece
        except Exception as exc:
            err = map_error(exc)
            if received:
                raise EndpointError(f"the model's stream broke off: {err}") from exc
            raise err from exc

    def _refusal(
        self,
        question: str,
        reason: str,
        unverified: list[Unverified],
        notes: list[str],
        timings: dict[str, float],
    ) -> Answer:
        return Answer(
            question=question,
            text=f"The articles don't say. {reason}",
            refused=True,
            refusal_reason=reason,
            unverified=unverified,
            notes=notes,
            backend=self.name,
            model=self.model,
            timings=timings,
        )

    def _without_model(
        self, question: str, hits: Sequence[Hit], source: ArticleSource, history: Sequence[Turn]
    ) -> Iterator[Event]:
        """No evidence: nothing for the model to quote, so don't ask it."""
        if self.fallback is not None:
            yield from self.fallback.stream(question, hits, source, history)
        else:
            yield Done(self._refusal(question, NO_PASSAGE_REASON, [], [], {}))

    def _no_verified_quote(
        self,
        question: str,
        hits: Sequence[Hit],
        source: ArticleSource,
        history: Sequence[Turn],
        unverified: list[Unverified],
        notes: list[str],
        timings: dict[str, float],
        streamed_prose: bool,
    ) -> Iterator[Event]:
        if self.fallback is None:
            yield Done(self._refusal(question, NO_QUOTE_REASON, unverified, notes, timings))
            return
        if streamed_prose:
            yield TextDelta("\n\n")
        for event in self.fallback.stream(question, hits, source, history):
            if isinstance(event, Done):
                a = event.answer
                yield Done(
                    replace(
                        a,
                        unverified=[*unverified, *a.unverified],
                        notes=[FALLBACK_NOTE, *notes, *a.notes],
                        timings={**timings, **a.timings},
                    )
                )
                return
            yield event


def _dropped_note(unverified: list[Unverified]) -> str:
    n = len(unverified)
    return f"{n} quote{'s' if n != 1 else ''} the model gave could not be verified and " + (
        "were dropped." if n != 1 else "was dropped."
    )


def _history_block(history: Sequence[Turn]) -> str:
    if not history:
        return ""
    lines = ["Earlier in this conversation:"]
    for turn in history[-HISTORY_TURNS:]:
        answer = " ".join(MARKER.sub("", turn.answer).split())
        lines += [f"Q: {turn.question}", f"A: {answer[:400]}"]
    return "\n".join(lines) + "\n\n"
