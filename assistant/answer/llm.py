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

import json
import re
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field, replace

from assistant.answer.base import Answerer
from assistant.answer.events import CitationAdded, Done, Event, TextDelta
from assistant.answer.models import ChatModel, Message, StructuredChatModel
from assistant.answer.verify import Claim, Verification, check_inline_quotes, verify_quotes
from assistant.errors import EndpointError
from assistant.prompts import CANNOT_ANSWER, Prompts
from assistant.retrieval.base import ArticleSource
from assistant.settings import Settings
from assistant.types import Answer, Citation, Hit, Turn, Unverified

FALLBACK_NOTE = "The model's answer had no verifiable quote; showing the extractive answer instead."
NO_QUOTE_REASON = "The model's answer had no quote that could be verified against the articles."
NO_PASSAGE_REASON = "No passage in the index matches the question."
TRUNCATED_NOTE = "The model reached its token limit; its answer may be cut short."
BAD_JSON_NOTE = "The model's structured reply was not valid JSON."
INLINE_NOTE = "The answer's text puts in quotation marks words that are not in the articles."
HISTORY_TURNS = 3

ANSWER_SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {
        "answer": {"type": "string"},
        "quotes": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"passage": {"type": "integer"}, "quote": {"type": "string"}},
                "required": ["passage", "quote"],
                "additionalProperties": False,
            },
        },
        "cannot_answer": {"type": "string"},
    },
    "required": ["answer", "quotes", "cannot_answer"],
    "additionalProperties": False,
}


# ---- the text reply format -------------------------------------------------------------

_LEAD = re.compile(r"^[\s>*#•\-]*")
_QUOTE_LINE = re.compile(r"^quote\s*\[?\s*(\d+)\s*\]?[\s*]*[:.\-–—]?\s*(.*)$", re.I | re.S)
_BRACKET_QUOTE = re.compile(r"^\[(\d+)\][\s*]*[:\-–—]?\s*([\"“«].*)$", re.S)
_CANNOT = re.compile(r"^cannot[_ ]answer\b[\s*]*:?\s*(.*)$", re.I | re.S)
_HEADER = re.compile(r"^(?:quotes|sources|citations|evidence)[\s*]*:?[\s*]*$", re.I)
_KEYWORDS = ("quote", "sources", "citations", "evidence", "cannot_answer", "cannot answer")
_OPENERS = {'"': '"”', "“": '"”', "«": "»", "'": "'’", "‘": "'’"}


def _body(line: str) -> str:
    """The line without leading whitespace, bullets, quote-blocks or markdown emphasis."""
    match = _LEAD.match(line)
    return line[match.end() if match else 0 :].strip()


def classify(line: str) -> tuple[str, int, str]:
    """(kind, passage, rest) for one complete line; kind is prose, quote, cannot or header."""
    body = _body(line)
    if m := _CANNOT.match(body):
        return "cannot", 0, m.group(1).strip()
    if m := _QUOTE_LINE.match(body):
        return "quote", int(m.group(1)), m.group(2).strip()
    if m := _BRACKET_QUOTE.match(body):
        return "quote", int(m.group(1)), m.group(2).strip()
    if _HEADER.match(body):
        return "header", 0, ""
    return "prose", 0, ""


def _may_be_special(fragment: str) -> bool:
    """Could this start of a line still turn out to be a QUOTE, CANNOT_ANSWER or header?"""
    body = _body(fragment).lower()
    if not body or body.startswith("["):
        return True
    return any(kw.startswith(body) or body.startswith(kw) for kw in _KEYWORDS)


def unwrap(text: str) -> str:
    """The words between the outer quote marks, dropping anything after the closing one."""
    text = text.strip()
    closers = _OPENERS.get(text[:1])
    if not closers:
        return text
    close = max(text.rfind(c) for c in closers)
    return text[1:close] if close > 0 else text[1:]


@dataclass
class Reply:
    prose: str = ""
    claims: list[Claim] = field(default_factory=list)
    cannot_answer: str | None = None
    notes: list[str] = field(default_factory=list)


def _unclosed(raw: str) -> bool:
    closers = _OPENERS.get(raw[:1])
    return closers is not None and max(raw.rfind(c) for c in closers) <= 0


def parse_reply(text: str) -> Reply:
    """Prose is every line before the first QUOTE/CANNOT_ANSWER/header line. A quote whose
    closing mark is on a later line continues there."""
    reply = Reply()
    prose: list[str] = []
    quotes: list[tuple[int, str]] = []
    in_quotes = False
    for line in text.splitlines(keepends=True):
        kind, passage, rest = classify(line)
        if kind == "prose":
            if not in_quotes:
                prose.append(line)
            elif quotes and _unclosed(quotes[-1][1]):
                quotes[-1] = (quotes[-1][0], quotes[-1][1] + " " + line.strip())
            continue
        in_quotes = True
        if kind == "quote":
            quotes.append((passage, rest))
        elif kind == "cannot" and reply.cannot_answer is None:
            reply.cannot_answer = rest
    reply.prose = "".join(prose).strip()
    reply.claims = [Claim(passage, unwrap(raw)) for passage, raw in quotes]
    return reply


class ProseFilter:
    """Lets the prose through as it streams and holds back everything from the first
    QUOTE/CANNOT_ANSWER/header line on. A line is shown as soon as it cannot be one."""

    def __init__(self) -> None:
        self._line = ""
        self._open = False  # the current line is known to be prose and partly shown
        self._closed = False

    def feed(self, piece: str) -> str:
        out: list[str] = []
        self._line += piece
        while not self._closed:
            nl = self._line.find("\n")
            if nl < 0:
                if self._open or not _may_be_special(self._line):
                    self._open = True
                    out.append(self._line)
                    self._line = ""
                break
            line, self._line = self._line[: nl + 1], self._line[nl + 1 :]
            if self._open or classify(line)[0] == "prose":
                out.append(line)
            else:
                self._closed = True
            self._open = False
        return "".join(out)

    def finish(self) -> str:
        rest, self._line = self._line, ""
        if self._closed or not rest:
            return ""
        return rest if self._open or classify(rest)[0] == "prose" else ""


# ---- the structured (JSON) reply format --------------------------------------------------

_ANSWER_KEY = re.compile(r'"answer"\s*:\s*"')


class JsonAnswerFilter:
    """Streams the decoded value of the JSON reply's "answer" string as it arrives."""

    def __init__(self) -> None:
        self._raw = ""
        self._pos = -1  # where the undecoded rest of the answer string starts
        self._closed = False

    def feed(self, piece: str) -> str:
        self._raw += piece
        if self._closed:
            return ""
        if self._pos < 0:
            match = _ANSWER_KEY.search(self._raw)
            if not match:
                return ""
            self._pos = match.end()
        end = self._safe_end()
        try:
            text = json.loads('"' + self._raw[self._pos : end] + '"')
        except ValueError:
            return ""
        self._pos = end
        return str(text)

    def _safe_end(self) -> int:
        """Index up to which the string can be decoded: not inside an escape; stops at the
        closing quote."""
        raw, i = self._raw, self._pos
        while i < len(raw):
            ch = raw[i]
            if ch == '"':
                self._closed = True
                return i
            if ch != "\\":
                i += 1
                continue
            step = 6 if raw[i + 1 : i + 2] == "u" else 2
            if raw[i + 1 : i + 2] == "u" and raw[i + 2 : i + 4].lower() in ("d8", "d9", "da", "db"):
                step = 12  # a surrogate pair: decode both halves together
            if i + step > len(raw):
                break
            i += step
        return i

    def finish(self) -> str:
        return ""


def parse_json_reply(text: str) -> Reply:
    body = text.strip()
    if body.startswith("```"):
        body = body.strip("`").removeprefix("json").strip()
    try:
        data = json.loads(body)
    except ValueError:
        return Reply(notes=[BAD_JSON_NOTE])
    if not isinstance(data, dict):
        return Reply(notes=[BAD_JSON_NOTE])
    claims = [
        Claim(int(q["passage"]), str(q["quote"]))
        for q in data.get("quotes") or []
        if isinstance(q, dict) and isinstance(q.get("passage"), int) and "quote" in q
    ]
    reason = str(data.get("cannot_answer") or "").strip()
    return Reply(str(data.get("answer") or "").strip(), claims, reason or None)


# ---- markers ------------------------------------------------------------------------------

_MARKER = re.compile(r"[ \t]*\[(?:passages?\s*)?(\d+(?:\s*(?:,|;|&|and)\s*\d+)*)\]", re.I)


def renumber(prose: str, verification: Verification) -> tuple[str, list[Citation]]:
    """Markers [p] (passage numbers) become [n] (citation numbers, in order of first mention);
    markers with no verified quote go; verified quotes never marked are marked at the end."""
    by_passage = verification.by_passage
    order: dict[int, int] = {}
    for match in _MARKER.finditer(prose):
        for p in map(int, re.findall(r"\d+", match.group(1))):
            for old in by_passage.get(p, []):
                order.setdefault(old, len(order) + 1)
    unmarked = [c.n for c in verification.citations if c.n not in order]
    for old in unmarked:
        order[old] = len(order) + 1

    def sub(match: re.Match[str]) -> str:
        new: list[int] = []
        for p in map(int, re.findall(r"\d+", match.group(1))):
            new += [order[o] for o in by_passage.get(p, []) if order[o] not in new]
        if not new:
            return ""
        whole = match.group(0)
        return whole[: len(whole) - len(whole.lstrip(" \t"))] + "".join(f"[{n}]" for n in new)

    text = _MARKER.sub(sub, prose)
    if unmarked:
        text = f"{text.rstrip()} {''.join(f'[{order[o]}]' for o in unmarked)}".strip()
    citations = sorted(
        (replace(c, n=order[c.n]) for c in verification.citations), key=lambda c: c.n
    )
    return text, citations


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
        answer = " ".join(_MARKER.sub("", turn.answer).split())
        lines += [f"Q: {turn.question}", f"A: {answer[:400]}"]
    return "\n".join(lines) + "\n\n"
