"""What the answering API streams: the chat app and the CLI render these as they arrive."""

from __future__ import annotations

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


Event = Retrieved | TextDelta | CitationAdded | Done | Failed
