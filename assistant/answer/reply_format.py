"""The reply format LLM answerers ask for, and its parsers: prose with passage markers [n],
then ``QUOTE [n]: "…"`` lines, or ``CANNOT_ANSWER: <reason>``; or the same as JSON matching
``ANSWER_SCHEMA``. Streaming filters pass the prose through and hold the rest back; markers
are renumbered once the quotes are verified.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace

from assistant.answer.verify import Claim, Verification
from assistant.types import Citation

BAD_JSON_NOTE = "The model's structured reply was not valid JSON."

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
    except (ValueError, RecursionError):  # deeply nested JSON exhausts the parser's stack
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

MARKER = re.compile(r"[ \t]*\[(?:passages?\s*)?(\d+(?:\s*(?:,|;|&|and)\s*\d+)*)\]", re.I)


def renumber(prose: str, verification: Verification) -> tuple[str, list[Citation]]:
    """Markers [p] (passage numbers) become [n] (citation numbers, in order of first mention);
    markers with no verified quote go; verified quotes never marked are marked at the end."""
    by_passage = verification.by_passage
    order: dict[int, int] = {}
    for match in MARKER.finditer(prose):
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

    text = MARKER.sub(sub, prose)
    if unmarked:
        text = f"{text.rstrip()} {''.join(f'[{order[o]}]' for o in unmarked)}".strip()
    citations = sorted(
        (replace(c, n=order[c.n]) for c in verification.citations), key=lambda c: c.n
    )
    return text, citations
