"""What the worker threads tell the UI: small messages posted from the thread, handled on the
event loop. The answering worker turns ``Assistant.stream`` events into these."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from assistant.types import Answer, Citation


@dataclass(eq=False)
class LoadStatus(Message):
    """A progress line while the assistant (and its index) is being built."""

    text: str


@dataclass(eq=False)
class LoadFinished(Message):
    """The assistant is ready (``error`` empty) or could not be built (``error`` says why)."""

    error: str = ""


@dataclass(eq=False)
class QuestionSaved(Message):
    """The question was committed to this session (created for the first question)."""

    session_id: str


@dataclass(eq=False)
class AnswerRetrieved(Message):
    """Retrieval finished; the answer is being written."""

    box_id: str
    passages: int


@dataclass(eq=False)
class AnswerText(Message):
    box_id: str
    text: str


@dataclass(eq=False)
class AnswerCitation(Message):
    box_id: str
    citation: Citation


@dataclass(eq=False)
class AnswerDone(Message):
    """The final answer (``answer.stopped`` when Esc stopped it)."""

    box_id: str
    answer: Answer


@dataclass(eq=False)
class AnswerFailed(Message):
    """The stream ended with an error; ``message`` is one line for the user."""

    box_id: str
    message: str
    kind: str


@dataclass(eq=False)
class StoreProblem(Message):
    """Saving to the sessions store failed; the conversation goes on unsaved."""

    message: str
