"""The sessions store: migrations, CRUD, search, history, atomic exchanges, concurrency."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from assistant.errors import InputError, StoreBusyError
from assistant.sessions.store import SessionStore, default_title, migrations
from assistant.types import Answer, Citation

ROOT = Path(__file__).resolve().parents[2]


def make_answer(question: str = "Who met Kerry?", stopped: bool = False) -> Answer:
    cite = Citation(
        n=1,
        quote="Yang Jiechi met with U.S. Special Presidential Envoy",
        article_id="003_7d1f377c2dc1bafd",
        start=150,
        end=202,
        title="Yang Jiechi Meets with John Kerry",
        outlet="fmprc.gov.cn",
        published="2021-09-02",
        chunk_id="003_7d1f377c2dc1bafd#0000",
    )
    return Answer(
        question=question,
        text="Yang Jiechi met him [1].",
        citations=[cite],
        standalone_question=question,
        backend="extractive",
        stopped=stopped,
    )


@pytest.fixture
def store(tmp_path: Path) -> SessionStore:
    return SessionStore(tmp_path / "sessions.sqlite3", clock=lambda: "2024-05-01T10:00:00+00:00")


def test_migrations_set_user_version_wal_and_foreign_keys(store: SessionStore) -> None:
    store.create()
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == migrations()[-1][0]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # Reopening does not re-run migrations.
    SessionStore(store.path).list()


def test_create_get_prefix_rename_delete(store: SessionStore) -> None:
    s = store.create()
    assert len(s.id) == 8
    assert store.get(s.id) == s
    assert store.get(s.id[:4]) == s
    assert store.get("zz") is None
    assert store.rename(s.id[:5], "Kerry talks").title == "Kerry talks"
    store.add_exchange(s.id, "Who met Kerry?", make_answer())
    store.delete(s.id)
    assert store.get(s.id) is None
    conn = sqlite3.connect(store.path)
    assert conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 0  # cascade


def test_ambiguous_prefix_is_an_input_error(store: SessionStore) -> None:
    ids = [store.create().id for _ in range(20)]
    # 20 ids over 16 hex digits: some first digit is shared (pigeonhole).
    shared = next(c for c in "0123456789abcdef" if sum(i.startswith(c) for i in ids) > 1)
    with pytest.raises(InputError, match="several"):
        store.get(shared)
    with pytest.raises(InputError, match="no session"):
        store.require("ffffffffff")


def test_exchange_title_history_and_answer_json(store: SessionStore) -> None:
    s = store.create()
    question = (
        "Who met U.S. Special Presidential Envoy for Climate John Kerry via video link in 2021?"
    )
    turn = store.add_exchange(s.id, question, make_answer(question))
    assert turn == 1
    got = store.get(s.id)
    assert got is not None and got.title == default_title(question)
    assert len(got.title) <= 60 and got.title.endswith("…")
    msgs = store.messages(s.id)
    assert [m.role for m in msgs] == ["user", "assistant"]
    answer = msgs[1].answer
    assert answer is not None and answer.citations[0].start == 150
    assert answer.citations[0].article_id == "003_7d1f377c2dc1bafd"
    raw = (
        sqlite3.connect(store.path)
        .execute("SELECT answer_json FROM messages WHERE role='assistant'")
        .fetchone()[0]
    )
    assert '"evidence"' not in raw
    assert store.history(s.id)[0].question == question
    assert store.history(s.id)[0].answer == "Yang Jiechi met him [1]."


def test_user_message_then_stopped_answer(store: SessionStore) -> None:
    s = store.create("kept title")
    turn = store.add_user_message(s.id, "What about Xi'an?")
    assert store.history(s.id) == []  # not answered yet
    store.complete(s.id, turn, make_answer("What about Xi'an?", stopped=True))
    msgs = store.messages(s.id)
    assert msgs[1].answer is not None and msgs[1].answer.stopped
    got = store.get(s.id)
    assert got is not None and got.title == "kept title" and got.turns == 1


def test_search_titles_and_messages(store: SessionStore) -> None:
    a = store.create()
    store.add_exchange(a.id, "Where is the tourism summit?", make_answer())
    b = store.create("Climate")
    store.add_exchange(b.id, "Anything else?", make_answer())
    assert {s.id for s in store.list()} == {a.id, b.id}
    assert [s.id for s in store.list("TOURISM")] == [a.id]
    assert [s.id for s in store.list("climate")] == [b.id]
    assert {s.id for s in store.list("yang jiechi")} == {a.id, b.id}  # answer text
    assert store.list("100%") == []


def test_corrupt_file_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "sessions.sqlite3"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreBusyError, match="not a readable SQLite database"):
        SessionStore(path).list()


def test_locked_beyond_timeout_is_store_busy(store: SessionStore, monkeypatch) -> None:
    import assistant.sessions.store as mod

    store.create()
    monkeypatch.setattr(mod, "BUSY_TIMEOUT_S", 0.2)
    holder = sqlite3.connect(store.path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreBusyError, match="locked"):
            SessionStore(store.path).create()
    finally:
        holder.execute("ROLLBACK")


HAMMER = """
import sys
from assistant.sessions.store import SessionStore
from assistant.types import Answer
store = SessionStore(sys.argv[1])
for i in range(int(sys.argv[3])):
    store.add_exchange(sys.argv[2], f"{sys.argv[4]} q{i}", Answer(question="q", text=f"a{i}"))
"""


def test_two_processes_and_threads_lose_nothing(store: SessionStore) -> None:
    s = store.create()
    n = 40
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", HAMMER, str(store.path), s.id, str(n), f"p{k}"], cwd=ROOT
        )
        for k in range(2)
    ]
    errors: list[BaseException] = []

    def hammer(tag: str) -> None:
        try:
            mine = SessionStore(store.path)
            for i in range(n):
                mine.add_exchange(s.id, f"{tag} q{i}", Answer(question="q", text=f"a{i}"))
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=hammer, args=(f"t{k}",)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(p.wait(timeout=120) == 0 for p in procs)
    assert not errors
    msgs = store.messages(s.id)
    assert len(msgs) == 2 * 4 * n
    turns = sorted({m.turn for m in msgs})
    assert turns == list(range(1, 4 * n + 1))
    for turn in turns:
        assert sorted(m.role for m in msgs if m.turn == turn) == ["assistant", "user"]
    assert len({m.content for m in msgs if m.role == "user"}) == 4 * n


def test_a_failed_answer_is_saved_as_a_failure(store: SessionStore) -> None:
    s = store.create()
    turn = store.add_user_message(s.id, "Who met Kerry?")
    store.fail(s.id, turn, "the model endpoint at 127.0.0.1:9 refused")
    question, reply = store.messages(s.id)
    assert not question.failed and reply.failed and reply.answer is None
    assert reply.content == "the model endpoint at 127.0.0.1:9 refused"
    assert store.history(s.id) == []  # a failure is no context for a follow-up
    assert store.require(s.id).turns == 1
