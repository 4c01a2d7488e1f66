"""What the answering API streams: the chat app and the CLI render these as they arrive."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from assistant.types import Answer, Citation, Hit


@dataclass(frozen=True, slots=True)
class Retrieved:
    """Retrieval finished; ``standalone_question`` is what was searched for."""

    hits: list[Hit]
    standalone_question: str


@dataclass(frozen=True, slots=True)
class TextDelta:
    """The next piece of the answer text (may contain citation markers)."""

    text: str


@dataclass(frozen=True, slots=True)
class Draft:
    """The model's words so far, before its evidence is checked: provisional. ``text`` is the
    whole draft (not a delta). Show it only in a visibly provisional place, and replace it
    with the answer when the first ``TextDelta`` or ``Done`` arrives; or ignore it."""

    text: str


@dataclass(frozen=True, slots=True)
class CitationAdded:
    """A quote that has been verified against its article."""

    citation: Citation


@dataclass(frozen=True, slots=True)
class Done:
    """The final answer; always the last event of a successful stream."""

    answer: Answer


@dataclass(frozen=True, slots=True)
class Failed:
    """The stream ended with an error; ``exit_code`` follows assistant.errors."""

    message: str
    kind: str
    exit_code: int


Event = Retrieved | Draft | TextDelta | CitationAdded | Done | Failed


def replay(answer: Answer) -> Iterator[Event]:
    """A finished answer as the stream a caller expects: its words, its citations, Done."""
    for piece in re.findall(r"\S+\s*", answer.text):
        yield TextDelta(piece)
    for citation in answer.citations:
        yield CitationAdded(citation)
    yield Done(answer)
