"""`assistant ask`: one question from a script or a shell, as text or JSON."""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Any

import typer

from assistant.cli._common import fail, status, user_errors
from assistant.errors import InputError

EPILOG = (
    "Exit codes: 0 answered or refused, 2 bad input, 3 no usable index, 4 model endpoint "
    "failed, 5 store busy, 6 index built with another embedding model."
)


def register(app: typer.Typer) -> None:
    @app.command("ask", epilog=EPILOG)
    def ask(
        question: str = typer.Argument(..., help='The question, or "-" to read it from stdin.'),
        as_json: bool = typer.Option(False, "--json", help="Print the whole answer as JSON."),
        session: str = typer.Option(
            "", "--session", help='Continue a saved conversation by id, or "new" to start one.'
        ),
        backend: str = typer.Option(
            "", "--backend", help="extractive (default, offline), openai or local."
        ),
        k: int = typer.Option(0, "--k", min=0, max=100, help="Passages to retrieve (0: settings)."),
        outlet: list[str] = typer.Option(
            [], "--outlet", help="Only use articles from this outlet (repeatable)."
        ),
        since: str = typer.Option("", "--since", help="Only articles dated on/after YYYY-MM-DD."),
        until: str = typer.Option("", "--until", help="Only articles dated on/before YYYY-MM-DD."),
    ) -> None:
        """Answer one question with verified quotes from the articles.

        The answer is followed by its numbered sources: quote, outlet, title and date. When the
        articles don't cover the question, the answer says so (that is not an error).
        """
        with user_errors():
            text = _read_question(question)
            filters = _filters(outlet, since, until)
            overrides: dict[str, Any] = {"answer": {"backend": backend}} if backend else {}
            run_ask(
                text,
                as_json=as_json,
                session=session,
                overrides=overrides,
                filters=filters,
                k=k or None,
            )


def _read_question(question: str) -> str:
    if question != "-":
        return question
    if sys.stdin is None or sys.stdin.isatty():
        raise InputError('"-" reads the question from stdin, but nothing was piped in')
    data = sys.stdin.buffer.read(4_000_001)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"the question on stdin is not UTF-8 (byte {err.start})") from None


def _filters(outlets: list[str], since: str, until: str) -> Any:
    from assistant.types import Filters

    for label, value in (("--since", since), ("--until", until)):
        if value:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise InputError(f"{label} takes a date as YYYY-MM-DD, not {value!r}") from None
    return Filters(outlets=tuple(outlets), since=since, until=until)


def run_ask(
    question: str,
    *,
    as_json: bool,
    session: str,
    overrides: dict[str, Any],
    filters: Any,
    k: int | None,
) -> None:
    from assistant.answer.events import Done, Failed, TextDelta
    from assistant.answer.service import Assistant, clean_question
    from assistant.settings import load_settings

    settings = load_settings(**overrides)
    question = clean_question(question, settings.answer.max_question_chars)
    store, session_id, history = _open_session(settings, session)
    assistant = Assistant.from_settings(settings, on_status=status)
    shown = ""
    for event in assistant.stream(question, history, filters=filters, k=k):
        if isinstance(event, TextDelta) and not as_json:
            sys.stdout.write(event.text)
            sys.stdout.flush()
            shown += event.text
        elif isinstance(event, Failed):
            if shown:
                sys.stdout.write("\n")
            raise fail(event.message, event.exit_code)
        elif isinstance(event, Done):
            answer = event.answer
            if store is not None and session_id:
                store.add_exchange(session_id, question, answer)
            if as_json:
                data = answer.to_dict()
                if session_id:
                    data["session_id"] = session_id
                print(json.dumps(data, ensure_ascii=False, indent=2))
            else:
                _print_answer(answer, shown)
                _print_sources(answer, session_id)


def _open_session(settings: Any, session: str) -> tuple[Any, str, list[Any]]:
    if not session:
        return None, "", []
    from assistant.sessions.store import SessionStore

    store = SessionStore(settings.sessions_db)
    if session == "new":
        return store, store.create().id, []
    found = store.get(session)
    if found is None:
        raise InputError(f"no saved session {session!r} (see `assistant sessions list`)")
    return store, found.id, store.history(found.id)


def _print_answer(answer: Any, shown: str) -> None:
    """Streamed text is what a model wrote before its quotes were checked; when the checked
    answer differs, say so rather than leave unchecked words standing as the answer."""
    final = answer.text.strip()
    if not shown.strip():
        sys.stdout.write(answer.text)
    elif shown.strip() != final:
        if shown.rstrip().endswith(final):
            print(
                "\n\nNote: the model's own words above the quoted answer could not be checked "
                "against the articles and are withdrawn.",
                end="",
            )
        else:
            print(f"\n\nChecked against the articles, the answer reads:\n{answer.text}", end="")
    print()


def _print_sources(answer: Any, session_id: str) -> None:
    for note in answer.notes:
        print(f"Note: {note}")
    if answer.unverified:
        print(
            f"Note: {len(answer.unverified)} quote(s) the model gave could not be found in "
            "the articles and were dropped:"
        )
        for u in answer.unverified:
            print(f"  - “{u.quote[:120]}” ({u.reason})")
    if answer.citations:
        print("\nSources:")
        for c in answer.citations:
            print(f"[{c.n}] {c.label()}")
            print(f"    “{c.quote}”")
            print(f"    {c.article_id} chars {c.start}-{c.end}")
    if session_id:
        print(f"\n(session {session_id})", file=sys.stderr)
