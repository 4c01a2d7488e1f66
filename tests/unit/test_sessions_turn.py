"""One library turn: sessions resolved, the exchange saved before Done, save failures as Failed."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answer.events import Done, Failed
from assistant.errors import InputError, StoreBusyError
from assistant.sessions.store import SessionStore
from assistant.sessions.turn import Conversation, ask_turn, open_conversation, run_turn
from assistant.types import Answer
from tests.unit.test_service import ScriptedAnswerer, make


@pytest.fixture
def store(tmp_path: Path) -> SessionStore:
    return SessionStore(tmp_path / "sessions.sqlite3")


def test_without_a_session_nothing_is_saved(store: SessionStore) -> None:
    answer = ask_turn(make(ScriptedAnswerer(["In Xi’an."])), "Where?", Conversation())
    assert answer.text == "In Xi’an." and store.list() == []


def test_a_new_session_is_created_by_its_first_saved_answer(store: SessionStore) -> None:
    conversation = open_conversation(store, "new")
    assert conversation.session_id == "" and store.list() == []
    events = list(run_turn(make(ScriptedAnswerer(["In Xi’an."])), "Where?", conversation))
    assert isinstance(events[-1], Done)
    saved = store.history(conversation.session_id)
    assert [(t.question, t.answer) for t in saved] == [("Where?", "In Xi’an.")]


def test_latest_continues_the_most_recent_session_with_its_history(store: SessionStore) -> None:
    older, newer = store.create("old"), store.create("new")
    store.add_exchange(older.id, "q0", Answer(question="q0", text="a0"))
    store.add_exchange(newer.id, "q1", Answer(question="q1", text="a1"))
    conversation = open_conversation(store, "latest")
    assert conversation.session_id == newer.id
    assert [t.question for t in conversation.history] == ["q1"]
    ask_turn(make(ScriptedAnswerer(["a2"])), "q2", conversation)
    assert [t.question for t in store.history(newer.id)] == ["q1", "q2"]


def test_latest_with_no_sessions_starts_one(store: SessionStore) -> None:
    conversation = open_conversation(store, "latest")
    ask_turn(make(ScriptedAnswerer(["a"])), "q", conversation)
    assert [s.id for s in store.list()] == [conversation.session_id]


def test_an_unknown_session_is_an_input_error(store: SessionStore) -> None:
    with pytest.raises(InputError, match="no saved session"):
        open_conversation(store, "abcdef12")


def test_a_failed_save_ends_the_turn_with_failed_not_done(store: SessionStore) -> None:
    class BrokenStore(SessionStore):
        def add_exchange(self, session_id: str, question: str, answer: Answer) -> int:
            raise StoreBusyError("the sessions store is locked")

    broken = BrokenStore(store.path)
    conversation = Conversation(broken, broken.create().id)
    events = list(run_turn(make(ScriptedAnswerer(["a"])), "q", conversation))
    assert isinstance(events[-1], Failed) and events[-1].exit_code == 5
    assert not any(isinstance(e, Done) for e in events)
    with pytest.raises(StoreBusyError):
        ask_turn(make(ScriptedAnswerer(["a"])), "q", conversation)


def test_a_failed_answer_saves_nothing(store: SessionStore) -> None:
    conversation = open_conversation(store, "new")
    events = list(run_turn(make(ScriptedAnswerer(["x"])), "", conversation))
    assert isinstance(events[-1], Failed) and events[-1].kind == "input"
    assert store.list() == []
