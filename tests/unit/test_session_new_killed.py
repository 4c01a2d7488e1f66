"""`ask --session new` killed while it saves its first answer leaves no empty session."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.sessions.store import SessionStore
from assistant.sessions.turn import Conversation
from assistant.types import Answer


def test_a_first_save_that_dies_midway_leaves_no_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SessionStore(tmp_path / "sessions.sqlite3")

    def killed(*args: object) -> None:
        raise KeyboardInterrupt  # as a signal would, between the two writes

    monkeypatch.setattr(SessionStore, "_insert_answer", staticmethod(killed))
    conversation = Conversation(store)
    with pytest.raises(KeyboardInterrupt):
        conversation.save(Answer(question="Who won?", text="Nobody [1]"))
    assert store.list() == []
    assert conversation.session_id == ""


def test_the_first_answer_creates_the_session_with_its_exchange(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "sessions.sqlite3")
    conversation = Conversation(store)
    conversation.save(Answer(question="Who won?", text="Nobody [1]"))
    conversation.save(Answer(question="Why?", text="Rain [1]"))
    [session] = store.list()
    assert session.id == conversation.session_id and session.turns == 2
    assert session.title == "Who won?"
