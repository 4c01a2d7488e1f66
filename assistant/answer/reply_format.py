"""The reply LLM answerers ask for, and its parser: one JSON object ::

    {"evidence": ["p2.s3"], "answer": "Han Zheng [p2.s3]", "cannot_answer": false, "reason": ""}

The model picks evidence by sentence id (see ``evidence.py``); the schema lists the ids that
exist, so with a grammar (llama.cpp) or structured outputs (OpenAI) it cannot name others.
A refusal is only ``"cannot_answer": true`` in a well-formed object, never a line of text:
a model that echoes its prompt must not be read as refusing. Markers in the answer — ids,
passage numbers — are renumbered to citation numbers once the evidence is checked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

BAD_JSON_NOTE = "The model's reply was not the JSON object it was asked for."
ECHO_NOTE = "The model repeated its instructions instead of answering."
CONTRADICTION_NOTE = (
    "The model both chose evidence and said it cannot answer; its evidence was used."
)
SENTENCE_ID = re.compile(r"\bp(\d+)\.s(\d+)\b")
_ECHO_MIN_CHARS = 12
# Caps in the schema keep a looping small model from filling its token budget with one field.
MAX_ANSWER_CHARS = 400
MAX_REASON_CHARS = 160


def answer_schema(ids: Sequence[str], max_quotes: int = 3) -> dict[str, object]:
    """The JSON schema of a reply; evidence items are limited to the ids that exist. At least
    one is required: a model refuses with ``cannot_answer``, and its evidence is then unused
    (small models otherwise leave evidence empty and answer from nowhere)."""
    item: dict[str, object] = {"type": "string", "enum": list(ids)} if ids else {"type": "string"}
    evidence = {"type": "array", "items": item, "minItems": 1, "maxItems": max_quotes}
    return {
        "type": "object",
        "properties": {
            "evidence": evidence,
            "answer": {"type": "string", "maxLength": MAX_ANSWER_CHARS},
            "cannot_answer": {"type": "boolean"},
            "reason": {"type": "string", "maxLength": MAX_REASON_CHARS},
        },
        "required": ["evidence", "answer", "cannot_answer", "reason"],
        "additionalProperties": False,
    }


@dataclass
class Reply:
    """What a reply says. ``refused`` is true only for a well-formed refusal."""

    answer: str = ""
    evidence: list[str] = field(default_factory=list)
    refused: bool = False
    reason: str = ""
    notes: list[str] = field(default_factory=list)


def _json_object(text: str) -> object:
    """The first JSON object in ``text`` (code fences and chatter around it allowed)."""
    body = text.strip()
    start = body.find("{")
    if start < 0:
        raise ValueError("no JSON object")
    try:
        data, _ = json.JSONDecoder().raw_decode(body, start)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    return data


def _echoed(value: str, instructions: str) -> bool:
    value = " ".join(value.split())
    return len(value) >= _ECHO_MIN_CHARS and value in " ".join(instructions.split())


def parse_reply(text: str, instructions: str = "") -> Reply:
    """The reply's fields. Text copied from ``instructions`` (the prompt the model was given)
    counts as an echo, not as an answer or a refusal."""
    try:
        data = _json_object(text)
    except ValueError:
        return Reply(notes=[BAD_JSON_NOTE])
    if not isinstance(data, dict):
        return Reply(notes=[BAD_JSON_NOTE])
    answer = data.get("answer")
    reason = data.get("reason")
    answer = answer.strip() if isinstance(answer, str) else ""
    reason = reason.strip() if isinstance(reason, str) else ""
    raw_ids = data.get("evidence")
    evidence = (
        [i.strip() for i in raw_ids if isinstance(i, str)] if isinstance(raw_ids, list) else []
    )
    if instructions and (_echoed(answer, instructions) or _echoed(reason, instructions)):
        return Reply(notes=[ECHO_NOTE])
    if data.get("cannot_answer") is True:
        return Reply(refused=True, reason=reason)
    return Reply(answer, evidence, False, reason)


class JsonAnswerFilter:
    """Streams the decoded value of the JSON reply's "answer" string as it arrives."""

    _KEY = re.compile(r'"answer"\s*:\s*"')

    def __init__(self) -> None:
        self._raw = ""
        self._pos = -1  # where the undecoded rest of the answer string starts
        self._closed = False

    def feed(self, piece: str) -> str:
        self._raw += piece
        if self._closed:
            return ""
        if self._pos < 0:
            match = self._KEY.search(self._raw)
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


# ---- markers ------------------------------------------------------------------------------

_REF = r"p?\d+(?:\.s\d+)?"
MARKER = re.compile(
    rf"[ \t]*\[(?:passages?\s*|sentences?\s*)?({_REF}(?:\s*(?:,|;|&|and)\s*{_REF})*)\]",
    re.I,
)
_BARE_ID = re.compile(r"[ \t]*\bp\d+\.s\d+\b")


def renumber(answer: str, cited: dict[str, int]) -> str:
    """Markers naming sentence ids ([p2.s3]) or passages ([2], [p2]) become the citation
    numbers [n] of the cited sentences they name; markers naming nothing cited go; citations
    never marked are marked at the end. ``cited`` maps sentence id → citation number."""
    used: list[int] = []

    def numbers(ref: str) -> list[int]:
        ref = ref.lower()
        if ".s" in ref:
            return [cited[ref]] if ref in cited else []
        passage = ref.lstrip("p")
        return [n for sid, n in cited.items() if sid.split(".")[0] == f"p{passage}"]

    def sub(match: re.Match[str]) -> str:
        refs = re.findall(_REF, match.group(1), re.I)
        new = sorted({n for ref in refs for n in numbers(ref)})
        used.extend(new)
        if not new:
            return ""
        whole = match.group(0)
        return whole[: len(whole) - len(whole.lstrip(" \t"))] + "".join(f"[{n}]" for n in new)

    text = _BARE_ID.sub("", MARKER.sub(sub, answer)).strip()
    unmarked = sorted(set(cited.values()) - set(used))
    if unmarked:
        text = f"{text} {''.join(f'[{n}]' for n in unmarked)}".strip()
    return text
