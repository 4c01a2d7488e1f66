"""What both servers serve: one loaded Assistant shared by every request, behind one lock.

The Assistant is thread-safe for one worker at a time, so every call that touches the index
(ask, search, sources, articles) holds ``lock``. It is built on first use, not per request; a
build that fails (no index yet) is retried by the next call, so a server started before an
ingest starts answering once the ingest is done.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable, Generator
from contextlib import closing
from dataclasses import asdict
from datetime import date
from typing import TYPE_CHECKING, Any

from assistant.answer.events import Event
from assistant.errors import AssistantError, InputError, NotFoundError
from assistant.settings import Settings
from assistant.types import Answer, Filters, Hit, Turn

if TYPE_CHECKING:
    from assistant.answer.service import Assistant
    from assistant.sessions.store import SessionStore


def make_filters(outlets: list[str] | tuple[str, ...], since: str, until: str) -> Filters:
    """Filters from user input; a malformed date is one InputError line."""
    for label, value in (("since", since), ("until", until)):
        if value:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise InputError(f"{label} takes a date as YYYY-MM-DD, not {value!r}") from None
    return Filters(outlets=tuple(o for o in outlets if o), since=since, until=until)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, settings: Settings) -> None:
    """Refuse to listen beyond this machine without a token."""
    if not is_loopback(host) and not settings.serve.token.get_secret_value():
        raise InputError(
            f"refusing to listen on {host} without a token: set ASSISTANT_SERVE__TOKEN "
            "(or bind 127.0.0.1)"
        )


class Served:
    """The library calls a server makes, each safe to call from any request thread."""

    def __init__(
        self,
        settings: Settings,
        *,
        assistant: Assistant | None = None,
        store: SessionStore | None = None,
        on_status: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.lock = threading.Lock()
        self._assistant = assistant
        self._store = store
        self._on_status = on_status

    # -- the shared components -----------------------------------------------------------

    def assistant(self) -> Assistant:
        """The Assistant, built once; call with ``lock`` held."""
        if self._assistant is None:
            from assistant.answer.service import Assistant

            self._assistant = Assistant.from_settings(self.settings, on_status=self._on_status)
        return self._assistant

    def load(self) -> str:
        """Build the Assistant now; returns "" or the one-line reason it cannot be built."""
        try:
            with self.lock:
                self.assistant()
        except AssistantError as err:
            return str(err)
        return ""

    @property
    def store(self) -> SessionStore:
        if self._store is None:
            from assistant.sessions.store import SessionStore

            self._store = SessionStore(self.settings.sessions_db)
        return self._store

    # -- answering ----------------------------------------------------------------------

    def turn(
        self,
        question: str,
        *,
        session: str = "",
        filters: Filters | None = None,
        k: int | None = None,
        cancel: threading.Event | None = None,
    ) -> Generator[tuple[Event, str], None, None]:
        """``run_turn``'s events, each with the session id the turn is saved in ("" for none).

        Holds the lock for the whole turn: consume it in one thread, to the end.
        """
        from assistant.answer.events import Failed
        from assistant.sessions.turn import open_conversation, run_turn

        with self.lock:
            try:
                conversation = open_conversation(self.store if session else None, session)
                assistant = self.assistant()
            except AssistantError as err:
                yield Failed(message=str(err), kind=err.kind, exit_code=err.exit_code), ""
                return
            for event in run_turn(
                assistant, question, conversation, filters=filters, k=k, cancel=cancel
            ):
                yield event, conversation.session_id

    def ask(self, question: str, **kwargs: Any) -> tuple[Answer, str]:
        """The saved answer and its session id; raises the AssistantError of a failed turn."""
        from assistant.answer.events import Done, Failed
        from assistant.answer.service import error_from

        with closing(self.turn(question, **kwargs)) as events:  # releases the lock at once
            for event, session_id in events:
                if isinstance(event, Done):
                    return event.answer, session_id
                if isinstance(event, Failed):
                    raise error_from(event)
        raise AssistantError("the answer stream ended without a result")

    def answer(self, question: str, history: list[Turn]) -> Answer:
        """One turn in the context of a client-held ``history``, saved nowhere."""
        from assistant.sessions.turn import Conversation, ask_turn

        with self.lock:
            return ask_turn(self.assistant(), question, Conversation(history=list(history)))

    def search(
        self, query: str, *, k: int | None = None, filters: Filters | None = None
    ) -> list[Hit]:
        from assistant.answer.service import clean_question

        query = clean_question(query, self.settings.answer.max_question_chars)
        if k is not None and not 1 <= k <= 100:
            raise InputError(f"k must be between 1 and 100, not {k}")
        with self.lock:
            assistant = self.assistant()
            return assistant.retriever.retrieve(query, k or self.settings.retrieval.k, filters)

    # -- articles -----------------------------------------------------------------------

    def sources(self) -> list[dict[str, Any]]:
        """The same listing as ``assistant sources --json``."""
        with self.lock:
            source = self.assistant().source
            rows = source.list_articles() if hasattr(source, "list_articles") else []
        return [{**article.to_dict(), "chunks": chunks} for article, chunks in rows]

    def article(
        self, article_id: str, start: int | None = None, end: int | None = None
    ) -> dict[str, Any]:
        """An article's metadata and its text, or the span ``[start, end)`` of it: the text
        citation offsets refer to, so a client can check a quote itself."""
        with self.lock:
            source = self.assistant().source
            article = source.article(article_id)
            text = source.article_text(article_id) if article is not None else None
        if article is None or text is None:
            raise NotFoundError(f"no article {article_id!r} (see the sources list)")
        lo = 0 if start is None else start
        hi = len(text) if end is None else end
        if not 0 <= lo <= hi <= len(text):
            raise InputError(
                f"start and end must satisfy 0 <= start <= end <= {len(text)} "
                f"(the article's length), not start={lo}, end={hi}"
            )
        return {
            "article": article.to_dict(),
            "length": len(text),
            "start": lo,
            "end": hi,
            "text": text[lo:hi],
        }

    # -- sessions -----------------------------------------------------------------------

    def sessions(self, query: str = "") -> list[dict[str, Any]]:
        return [asdict(s) for s in self.store.list(query)]

    def session(self, session_id: str) -> dict[str, Any]:
        """A saved session as ``sessions export --format json`` writes it."""
        import json

        from assistant.sessions.export import export_session

        if self.store.get(session_id) is None:
            raise NotFoundError(f"no session {session_id!r} (see the sessions list)")
        _, text = export_session(self.store, session_id, "json")
        data: dict[str, Any] = json.loads(text)
        return data

    def health(self) -> dict[str, Any]:
        """Never loads anything: what is known right now."""
        loaded = self._assistant
        data: dict[str, Any] = {"status": "ok", "loaded": loaded is not None}
        if loaded is not None:
            info = loaded.info
            data.update(
                articles=info.articles,
                chunks=info.chunks,
                backend=loaded.backend,
                model=loaded.model,
                embedding_model=info.embedding_model,
            )
        return data
