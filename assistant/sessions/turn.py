"""One turn of a conversation — ask, retrieve, answer, save — as every front end runs it.

The CLI, the HTTP API and the MCP server all call ``run_turn`` so that they resolve sessions,
save exchanges and fail the same way: the events are the Assistant's, the exchange is saved
before ``Done`` is passed on, and a failure to save ends the stream with ``Failed`` instead.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.answer.events import Done, Event, Failed
from assistant.errors import AssistantError, InputError
from assistant.types import Answer, Filters, Turn

if TYPE_CHECKING:
    from assistant.answer.service import Assistant
    from assistant.sessions.store import SessionStore

NEW = "new"
LATEST = "latest"


@dataclass
class Conversation:
    """Where a turn is saved: no store means nothing is saved; an empty ``session_id`` with a
    store means a new session, created when its first answer is saved."""

    store: SessionStore | None = None
    session_id: str = ""
    history: list[Turn] = field(default_factory=list)

    def save(self, answer: Answer) -> None:
        if self.store is None:
            return
        if not self.session_id:
            self.session_id = self.store.create_with_exchange(answer.question, answer)
        else:
            self.store.add_exchange(self.session_id, answer.question, answer)
        self.history.append(
            Turn(answer.question, answer.text, answer.standalone_question or answer.question)
        )


def open_conversation(store: SessionStore | None, session: str) -> Conversation:
    """``""``: nothing saved; ``"new"``: a new session; ``"latest"``: the most recently used
    one (a new one when there is none); anything else: a saved session's id or id prefix."""
    session = session.strip()
    if not session or store is None:
        if session and store is None:
            raise InputError("sessions are not available here")
        return Conversation()
    if session == NEW:
        return Conversation(store)
    if session == LATEST:
        found = store.list()
        if not found:
            return Conversation(store)
        return Conversation(store, found[0].id, store.history(found[0].id))
    existing = store.get(session)
    if existing is None:
        raise InputError(f"no saved session {session!r} (see `assistant sessions list`)")
    return Conversation(store, existing.id, store.history(existing.id))


def run_turn(
    assistant: Assistant,
    question: str,
    conversation: Conversation | None = None,
    *,
    filters: Filters | None = None,
    k: int | None = None,
    cancel: threading.Event | None = None,
) -> Iterator[Event]:
    """The Assistant's events for one question; the last is Done (answer saved) or Failed."""
    conversation = conversation or Conversation()
    history = list(conversation.history)
    for event in assistant.stream(question, history, filters=filters, k=k, cancel=cancel):
        if isinstance(event, Done):
            try:
                conversation.save(event.answer)
            except AssistantError as err:
                yield Failed(message=str(err), kind=err.kind, exit_code=err.exit_code)
                return
        yield event
        if isinstance(event, Done | Failed):
            return


def ask_turn(
    assistant: Assistant,
    question: str,
    conversation: Conversation | None = None,
    **kwargs: object,
) -> Answer:
    """``run_turn``'s saved Answer; raises the AssistantError a Failed event carries."""
    from assistant.answer.service import error_from

    for event in run_turn(assistant, question, conversation, **kwargs):  # type: ignore[arg-type]
        if isinstance(event, Done):
            return event.answer
        if isinstance(event, Failed):
            raise error_from(event)
    raise AssistantError("the answer stream ended without a result")
