"""The LLM answerer: numbered sentences in; a JSON choice of sentence ids and a short answer
out (``reply_format.py``); quotes are the chosen sentences themselves, so none can be invented.

The passages go to the model delimited and marked as untrusted data. While the model writes,
its words stream only as ``Draft`` events (provisional); the answer streams as ``TextDelta``
once its evidence has been checked, and the model's prose is shown only as far as the cited
sources back it (``prose_checks.py``). Anything the model got wrong is never shown as the
answer: with no usable evidence the extractive answer (or a refusal) is given instead.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import replace

from assistant.answer.base import Answerer, refusal
from assistant.answer.events import CitationAdded, Done, Draft, Event, TextDelta
from assistant.answer.evidence import Sentence, cite, number_sentences, short_answer
from assistant.answer.models import Bounded, ChatModel, Message, StructuredChatModel
from assistant.answer.prose_checks import check_prose
from assistant.answer.reply_format import (
    MARKER,
    JsonAnswerFilter,
    answer_schema,
    parse_reply,
    renumber,
)
from assistant.answer.verify import check_inline_quotes
from assistant.errors import EndpointError
from assistant.prompts import Prompts
from assistant.retrieval.base import ArticleSource
from assistant.settings import Settings
from assistant.types import Answer, Citation, Hit, Turn, Unverified

FALLBACK_NOTE = (
    "The model's answer had no verifiable evidence; showing the extractive answer instead."
)
NO_QUOTE_REASON = "The model's answer had no evidence that could be verified against the articles."
NO_PASSAGE_REASON = "No passage in the index matches the question."
DEFAULT_REASON = "The passages do not answer the question."
TRUNCATED_NOTE = "The model reached its token limit; its answer may be cut short."
DEADLINE_NOTE = "The model took longer than {s:g} s in all and was stopped."
SIZE_NOTE = "The model's reply passed {n} characters and was cut off."
UNBACKED_NOTE = "The model's short answer is not in the sentences it chose; showing them instead."
UNBACKED_WORDS = 3
HISTORY_TURNS = 3


def _sentence(reason: str, default: str) -> str:
    reason = " ".join(reason.split()).strip(" .") or default.rstrip(".")
    return reason[0].upper() + reason[1:] + "."


def _attr(value: str) -> str:
    """A header value that cannot close its attribute or tag."""
    return " ".join(value.replace('"', "'").replace("<", "‹").replace(">", "›").split())


def _data(text: str) -> str:
    """Passage text that cannot close or open a passage tag."""
    return text.replace("<", "‹").replace(">", "›")


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
        limits = settings.local if self.name == "local" else settings.openai
        self.deadline_s = limits.total_timeout
        self.max_reply_chars = limits.max_reply_chars

    def system_prompt(self) -> str:
        return self._prompts.answer_system.render(max_quotes=self.max_quotes)

    def messages(
        self,
        question: str,
        hits: Sequence[Hit],
        history: Sequence[Turn],
        sentences: dict[str, Sentence] | None = None,
    ) -> list[Message]:
        p = self._prompts
        numbered = sentences if sentences is not None else number_sentences(hits)
        by_passage: dict[int, list[Sentence]] = {}
        for s in numbered.values():
            by_passage.setdefault(s.passage, []).append(s)
        passages = "\n\n".join(
            p.passage.render(
                n=i,
                outlet=_attr(h.chunk.outlet or "unknown outlet"),
                title=_attr(h.chunk.title or h.chunk.article_id),
                date=_attr(h.chunk.published[:10] or "undated"),
                text="\n".join(
                    f"[{s.id}] {_data(' '.join(s.text.split()))}" for s in by_passage.get(i, [])
                ),
            ).strip()
            for i, h in enumerate(hits, start=1)
        )
        user = p.answer_user.render(
            history=_history_block(history), passages=passages, question=question
        )
        return [
            {"role": "system", "content": self.system_prompt()},
            {"role": "user", "content": user},
        ]

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
        sentences = number_sentences(hits)
        messages = self.messages(question, hits, history, sentences)
        text, notes = yield from self._generate(messages, list(sentences))
        timings = {"generate_s": time.perf_counter() - started}
        reply = parse_reply(text, instructions=self.system_prompt())
        notes = [*reply.notes, *notes]
        if reply.refused:
            reason = _sentence(reply.reason, DEFAULT_REASON)
            yield Done(self._refusal(question, reason, [], notes, timings))
            return
        cited = cite(reply.evidence, sentences, source, self.max_quotes)
        if cited.unverified:
            notes.append(_ignored_note(cited.unverified))
        if not cited.citations:
            yield from self._no_verified_evidence(
                question, hits, source, history, cited.unverified, notes, timings
            )
            return
        yield from self._verified(
            question,
            reply.answer,
            cited.citations,
            cited.by_id,
            hits,
            source,
            cited.unverified,
            notes,
            timings,
        )

    def _verified(
        self,
        question: str,
        answer: str,
        citations: list[Citation],
        by_id: dict[str, int],
        hits: Sequence[Hit],
        source: ArticleSource,
        unverified: list[Unverified],
        notes: list[str],
        timings: dict[str, float],
    ) -> Iterator[Event]:
        """The answer when at least one chosen sentence verified."""
        phrase = MARKER.sub("", answer).strip()
        span = short_answer(phrase, citations)
        if span is not None:
            others = "".join(f"[{c.n}]" for c in citations if c.n != span.citation)
            text = f"{span.text} [{span.citation}]{others}"
        elif len(phrase.split()) <= UNBACKED_WORDS:
            # A name, number or word the quotes do not contain is a claim nothing backs.
            text = "\n".join(f'"{c.quote}" [{c.n}]' for c in citations)
            if phrase:
                notes.append(UNBACKED_NOTE)
        else:
            prose = renumber(answer, by_id)
            inline = check_inline_quotes(prose, hits, source)
            text, removed = check_prose(prose, citations, hits, [u.quote for u in inline])
            notes += removed
            if not MARKER.sub("", text).strip():
                text = "\n".join(f'"{c.quote}" [{c.n}]' for c in citations)
            unverified = [*unverified, *inline]
        yield TextDelta(text)
        for citation in citations:
            yield CitationAdded(citation)
        yield Done(
            Answer(
                question=question,
                text=text,
                citations=citations,
                unverified=unverified,
                notes=notes,
                backend=self.name,
                model=self.model,
                timings=timings,
                short_answer=span,
            )
        )

    def _generate(
        self, messages: list[Message], ids: list[str]
    ) -> Generator[Event, None, tuple[str, list[str]]]:
        """Yield the model's answer as it arrives, as Draft events; return the whole reply
        and notes on how it ended."""
        shown = JsonAnswerFilter()
        draft = ""
        parts: list[str] = []
        bounded = Bounded(
            self._pieces(messages, ids), deadline_s=self.deadline_s, max_chars=self.max_reply_chars
        )
        for piece in bounded:
            parts.append(piece)
            delta = shown.feed(piece)
            if delta:
                draft += delta
                yield Draft(draft)
        notes: list[str] = []
        if bounded.cut == "deadline":
            notes.append(DEADLINE_NOTE.format(s=self.deadline_s))
        elif bounded.cut == "size":
            notes.append(SIZE_NOTE.format(n=self.max_reply_chars))
        elif getattr(self._chat, "finish_reason", "") == "length":
            notes.append(TRUNCATED_NOTE)
        return "".join(parts), notes

    def _pieces(self, messages: list[Message], ids: list[str]) -> Iterator[str]:
        """The model's stream. One that fails after it started is an EndpointError saying so:
        a half answer is never passed off as a whole one."""
        from assistant.answer.endpoint_errors import map_error

        received = False
        try:
            if isinstance(self._chat, StructuredChatModel):
                pieces = self._chat.stream_structured(messages, answer_schema(ids, self.max_quotes))
            else:
                pieces = self._chat.stream(messages)
            for piece in pieces:
                received = True
                yield piece
        except GeneratorExit:
            raise
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
        answer = refusal(question, reason, self.name, self.model)
        answer.unverified, answer.notes, answer.timings = unverified, notes, timings
        return answer

    def _without_model(
        self, question: str, hits: Sequence[Hit], source: ArticleSource, history: Sequence[Turn]
    ) -> Iterator[Event]:
        """No evidence: nothing for the model to quote, so don't ask it."""
        if self.fallback is not None:
            yield from self.fallback.stream(question, hits, source, history)
        else:
            yield Done(self._refusal(question, NO_PASSAGE_REASON, [], [], {}))

    def _no_verified_evidence(
        self,
        question: str,
        hits: Sequence[Hit],
        source: ArticleSource,
        history: Sequence[Turn],
        unverified: list[Unverified],
        notes: list[str],
        timings: dict[str, float],
    ) -> Iterator[Event]:
        if self.fallback is None:
            yield Done(self._refusal(question, NO_QUOTE_REASON, unverified, notes, timings))
            return
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


def _ignored_note(unverified: list[Unverified]) -> str:
    n = len(unverified)
    return f"{n} evidence id{'s' if n != 1 else ''} the model gave could not be verified and " + (
        "were ignored." if n != 1 else "was ignored."
    )


def _history_block(history: Sequence[Turn]) -> str:
    if not history:
        return ""
    lines = ["Earlier in this conversation:"]
    for turn in history[-HISTORY_TURNS:]:
        answer = " ".join(MARKER.sub("", turn.answer).split())
        lines += [f"Q: {turn.question}", f"A: {_data(answer[:400])}"]
    return "\n".join(lines) + "\n\n"
