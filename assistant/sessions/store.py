"""Chat sessions in SQLite: numbered migrations, WAL, a 10 s busy timeout, foreign keys.

Each operation opens its own short connection, so the chat app's threads and a CLI process
(``assistant ask --session``) can write to the same file at once. Writes take the lock up
front (``BEGIN IMMEDIATE``) and an exchange's two messages commit together, so a reader never
sees half of one.
"""

from __future__ import annotations

import builtins
import json
import re
import secrets
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.errors import InputError, StoreBusyError
from assistant.files import private_file
from assistant.types import Answer, Turn

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_S = 10.0
TITLE_CHARS = 60
_MIGRATION_NAME = re.compile(r"^(\d+)_[\w-]+\.sql$")
_ID_CHARS = re.compile(r"^[0-9a-z]+$")


@dataclass(frozen=True, slots=True)
class Session:
    """One conversation; ``turns`` counts the questions asked in it."""

    id: str
    title: str
    created_at: str
    updated_at: str
    turns: int = 0


@dataclass(frozen=True, slots=True)
class Message:
    """A question (role ``user``) or an answer (role ``assistant``, with its ``answer``).

    An assistant message without ``answer`` is a failure; ``content`` says what went wrong.
    """

    id: int
    session_id: str
    turn: int
    role: str
    content: str
    created_at: str
    answer: Answer | None = None

    @property
    def failed(self) -> bool:
        return self.role == "assistant" and self.answer is None


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def default_title(question: str) -> str:
    """The first question on one line, cut at a word boundary near ``TITLE_CHARS``."""
    line = " ".join(question.split())
    if len(line) <= TITLE_CHARS:
        return line
    cut = line[: TITLE_CHARS - 1].rsplit(" ", 1)[0] or line[: TITLE_CHARS - 1]
    return cut.rstrip(" ,;:") + "…"


def answer_json(answer: Answer) -> str:
    """What a stored answer keeps: everything but the retrieved evidence."""
    data = answer.to_dict()
    data.pop("evidence", None)
    return json.dumps(data, ensure_ascii=False)


class SessionStore:
    """Sessions at ``path``; ``clock`` returns ISO timestamps (tests pass a fixed one)."""

    def __init__(self, path: Path | str, *, clock: Callable[[], str] = utc_now) -> None:
        self.path = Path(path)
        self.clock = clock
        self._migrated = False

    # -- connections -------------------------------------------------------------------

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            private_file(self.path)
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except (OSError, sqlite3.Error) as err:
            raise StoreBusyError(f"cannot open the sessions store {self.path}: {err}") from err
        try:
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            if not self._migrated:
                self._migrate(conn)
            yield conn
        except sqlite3.Error as err:
            raise self._user_error(err) from err
        finally:
            conn.close()

    def _user_error(self, err: sqlite3.Error) -> StoreBusyError:
        text = str(err)
        if "locked" in text or "busy" in text:
            return StoreBusyError(
                f"the sessions store {self.path} is locked by another process "
                f"(waited {BUSY_TIMEOUT_S:.0f} s); try again"
            )
        if isinstance(err, sqlite3.DatabaseError) and (
            "not a database" in text or "malformed" in text
        ):
            return StoreBusyError(
                f"the sessions store {self.path} is not a readable SQLite database; "
                "move it aside to start with an empty one"
            )
        return StoreBusyError(f"the sessions store {self.path} failed: {text}")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One immediate transaction: all of it commits or none of it does."""
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _migrate(self, conn: sqlite3.Connection) -> None:
        """Apply migrations newer than ``PRAGMA user_version``, each in its own transaction."""
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()
        if mode is None:
            raise sqlite3.DatabaseError("file is not a database")
        for number, path in migrations():
            conn.execute("BEGIN IMMEDIATE")
            try:
                if conn.execute("PRAGMA user_version").fetchone()[0] < number:
                    for statement in _statements(path.read_text(encoding="utf-8")):
                        conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {number}")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        self._migrated = True

    # -- sessions ----------------------------------------------------------------------

    def create(self, title: str = "") -> Session:
        now = self.clock()
        with self._write() as conn:
            session_id = self._insert_session(conn, title.strip(), now)
        return Session(session_id, title.strip(), now, now, 0)

    def create_with_exchange(self, question: str, answer: Answer) -> str:
        """A new session holding its first exchange, in one transaction: a process killed
        while saving leaves either both or nothing, never an empty session."""
        now = self.clock()
        with self._write() as conn:
            session_id = self._insert_session(conn, "", now)
            self._insert_user(conn, session_id, 1, question, now)
            self._insert_answer(conn, session_id, 1, answer, now)
            self._touch(conn, session_id, question, now)
        return session_id

    @staticmethod
    def _insert_session(conn: sqlite3.Connection, title: str, now: str) -> str:
        while True:
            session_id = secrets.token_hex(4)
            try:
                conn.execute(
                    "INSERT INTO sessions (id, title, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?)",
                    (session_id, title, now, now),
                )
                return session_id
            except sqlite3.IntegrityError:
                continue

    def get(self, session_id: str) -> Session | None:
        """The session with this id or unique id prefix; InputError if the prefix is ambiguous."""
        key = session_id.strip().lower()
        if not key or not _ID_CHARS.match(key):
            return None
        with self._connect() as conn:
            rows = conn.execute(
                _SESSION_SELECT + " WHERE s.id = ? OR s.id LIKE ? "
                "GROUP BY s.id ORDER BY s.id = ? DESC LIMIT 3",
                (key, key + "%", key),
            ).fetchall()
        if not rows:
            return None
        if rows[0]["id"] != key and len(rows) > 1:
            raise InputError(f"'{session_id}' matches several sessions; give more of the id")
        return _session(rows[0])

    def require(self, session_id: str) -> Session:
        """``get`` that raises a one-line InputError when nothing matches."""
        session = self.get(session_id)
        if session is None:
            raise InputError(f"no session '{session_id}' (see `assistant sessions list`)")
        return session

    def list(self, query: str = "") -> list[Session]:
        """Newest first; ``query`` keeps sessions whose title or messages contain it."""
        sql = _SESSION_SELECT
        params: tuple[Any, ...] = ()
        if query.strip():
            pattern = "%" + _escape_like(query.strip().lower()) + "%"
            sql += (
                " WHERE lower(s.title) LIKE ? ESCAPE '\\' OR s.id IN (SELECT session_id "
                "FROM messages WHERE lower(content) LIKE ? ESCAPE '\\')"
            )
            params = (pattern, pattern)
        sql += " GROUP BY s.id ORDER BY s.updated_at DESC, s.created_at DESC, s.rowid DESC"
        with self._connect() as conn:
            return [_session(row) for row in conn.execute(sql, params)]

    def rename(self, session_id: str, title: str) -> Session:
        session = self.require(session_id)
        with self._write() as conn:
            conn.execute("UPDATE sessions SET title = ? WHERE id = ?", (title.strip(), session.id))
        return self.require(session.id)

    def delete(self, session_id: str) -> Session:
        """Delete a session and (by cascade) its messages; returns what was deleted."""
        session = self.require(session_id)
        with self._write() as conn:
            conn.execute("DELETE FROM sessions WHERE id = ?", (session.id,))
        return session

    # -- messages ----------------------------------------------------------------------

    def messages(self, session_id: str) -> builtins.list[Message]:
        session = self.require(session_id)
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT * FROM messages WHERE session_id = ? "
                "ORDER BY turn, CASE role WHEN 'user' THEN 0 ELSE 1 END",
                (session.id,),
            ).fetchall()
        return [_message(row) for row in rows]

    def history(self, session_id: str) -> builtins.list[Turn]:
        """The answered turns, as answerers and rewriters take them."""
        questions: dict[int, str] = {}
        turns: builtins.list[Turn] = []
        for message in self.messages(session_id):
            if message.role == "user":
                questions[message.turn] = message.content
            elif message.answer is not None and message.turn in questions:
                answer = message.answer
                turns.append(
                    Turn(
                        question=questions[message.turn],
                        answer=answer.text,
                        standalone=answer.standalone_question or questions[message.turn],
                    )
                )
        return turns

    def add_exchange(self, session_id: str, question: str, answer: Answer) -> int:
        """Store a question and its answer in one transaction; returns the turn number."""
        session = self.require(session_id)
        with self._write() as conn:
            turn = self._next_turn(conn, session.id)
            now = self.clock()
            self._insert_user(conn, session.id, turn, question, now)
            self._insert_answer(conn, session.id, turn, answer, now)
            self._touch(conn, session.id, question, now)
        return turn

    def add_user_message(self, session_id: str, question: str) -> int:
        """Store a question before its answer exists; ``complete`` adds the answer."""
        session = self.require(session_id)
        with self._write() as conn:
            turn = self._next_turn(conn, session.id)
            now = self.clock()
            self._insert_user(conn, session.id, turn, question, now)
            self._touch(conn, session.id, question, now)
        return turn

    def complete(self, session_id: str, turn: int, answer: Answer) -> None:
        """Store the answer to turn ``turn`` (a stopped answer keeps ``stopped=True``)."""
        session = self.require(session_id)
        with self._write() as conn:
            now = self.clock()
            self._insert_answer(conn, session.id, turn, answer, now)
            conn.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (now, session.id))

    def fail(self, session_id: str, turn: int, message: str) -> None:
        """Store that turn ``turn`` could not be answered, and why (``Message.failed``)."""
        session = self.require(session_id)
        with self._write() as conn:
            now = self.clock()
            conn.execute(
                "INSERT OR REPLACE INTO messages "
                "(session_id, turn, role, content, answer_json, created_at) "
                "VALUES (?, ?, 'assistant', ?, NULL, ?)",
                (session.id, turn, message, now),
            )
            conn.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (now, session.id))

    @staticmethod
    def _next_turn(conn: sqlite3.Connection, session_id: str) -> int:
        row = conn.execute(
            "SELECT COALESCE(MAX(turn), 0) FROM messages WHERE session_id = ?", (session_id,)
        ).fetchone()
        return int(row[0]) + 1

    @staticmethod
    def _insert_user(
        conn: sqlite3.Connection, session_id: str, turn: int, question: str, now: str
    ) -> None:
        conn.execute(
            "INSERT INTO messages (session_id, turn, role, content, created_at) "
            "VALUES (?, ?, 'user', ?, ?)",
            (session_id, turn, question, now),
        )

    @staticmethod
    def _insert_answer(
        conn: sqlite3.Connection, session_id: str, turn: int, answer: Answer, now: str
    ) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO messages "
            "(session_id, turn, role, content, answer_json, created_at) "
            "VALUES (?, ?, 'assistant', ?, ?, ?)",
            (session_id, turn, answer.text, answer_json(answer), now),
        )

    @staticmethod
    def _touch(conn: sqlite3.Connection, session_id: str, question: str, now: str) -> None:
        conn.execute(
            "UPDATE sessions SET updated_at = ?, "
            "title = CASE WHEN title = '' THEN ? ELSE title END WHERE id = ?",
            (now, default_title(question), session_id),
        )


_SESSION_SELECT = (
    "SELECT s.id, s.title, s.created_at, s.updated_at, "
    "COUNT(DISTINCT m.turn) AS turns FROM sessions s LEFT JOIN messages m ON m.session_id = s.id"
)


def migrations() -> list[tuple[int, Path]]:
    """The numbered migration files, in order."""
    found = []
    for path in MIGRATIONS_DIR.glob("*.sql"):
        match = _MIGRATION_NAME.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


def _statements(script: str) -> Iterator[str]:
    """Split a migration into statements (``executescript`` would commit on its own)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        if not pending and line.strip().startswith("--"):
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending.strip()
            pending = ""
    if pending.strip():
        yield pending.strip()


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _session(row: sqlite3.Row) -> Session:
    return Session(
        id=row["id"],
        title=row["title"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        turns=int(row["turns"] or 0),
    )


def _message(row: sqlite3.Row) -> Message:
    answer = Answer.from_dict(json.loads(row["answer_json"])) if row["answer_json"] else None
    return Message(
        id=int(row["id"]),
        session_id=row["session_id"],
        turn=int(row["turn"]),
        role=row["role"],
        content=row["content"],
        created_at=row["created_at"],
        answer=answer,
    )
