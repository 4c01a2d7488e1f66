"""`assistant ask`: one question from a script or a shell, as text or JSON."""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Any

import typer

from assistant.cli._common import fail, status, user_errors
from assistant.errors import InputError
from assistant.text.safe import for_terminal, json_for_terminal, one_line

EPILOG = (
    "Exit codes: 0 answered or refused, 2 bad input, 3 no usable index, 4 model endpoint "
    "failed, 5 store busy or being rebuilt, 6 index built with another embedding model, "
    "10 bad configuration, 11 the Chroma server cannot be reached, "
    "12 index damaged (run `assistant ingest --repair`)."
)


def register(app: typer.Typer) -> None:
    @app.command("ask", epilog=EPILOG)
    def ask(
        question: str = typer.Argument(..., help='The question, or "-" to read it from stdin.'),
        as_json: bool = typer.Option(False, "--json", help="Print the whole answer as JSON."),
        session: str = typer.Option(
            "", "--session", help='Continue a saved conversation by id, or "new" to start one.'
        ),
        continue_: bool = typer.Option(
            False, "--continue", "-c", help="Continue the most recently used conversation."
        ),
        backend: str = typer.Option(
            "",
            "--backend",
            help="extractive (default: rules, offline), fitted (the fitted scorer, offline), "
            "top-passage (the first passage whole), openai or local.",
        ),
        model: str = typer.Option(
            "",
            "--model",
            "-m",
            help="The model within the backend: a model name for openai, a GGUF path for local.",
        ),
        k: int = typer.Option(0, "--k", min=0, max=100, help="Passages to retrieve (0: settings)."),
        outlet: list[str] = typer.Option(
            [], "--outlet", help="Only use articles from this outlet (repeatable)."
        ),
        since: str = typer.Option("", "--since", help="Only articles dated on/after YYYY-MM-DD."),
        until: str = typer.Option("", "--until", help="Only articles dated on/before YYYY-MM-DD."),
        include_inferred: bool = typer.Option(
            False,
            "--include-inferred-dates",
            help="Let --since/--until also take undated articles whose text suggests a date "
            "in the range (and update-only dates that could be in it).",
        ),
        as_of: str = typer.Option(
            "",
            "--as-of",
            help='"Today" (YYYY-MM-DD) for a question\'s "this week", "last month"; without it '
            "they are not read as dates.",
        ),
        perspectives: bool = typer.Option(
            False,
            "--perspectives",
            help="Who says what: each outlet's own verified quotes, one block per outlet.",
        ),
    ) -> None:
        """Answer one question with verified quotes from the articles.

        The answer is followed by its numbered sources: quote, outlet, title and date. When the
        articles don't cover the question, the answer says so (that is not an error).
        """
        with user_errors():
            text = _read_question(question)
            filters = _filters(outlet, since, until, as_of, include_inferred)
            if continue_ and session:
                raise InputError("give either --continue or --session, not both")
            run_ask(
                text,
                as_json=as_json,
                session="latest" if continue_ else session,
                overrides=model_overrides(backend, model),
                filters=filters,
                k=k or None,
                perspectives=perspectives,
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


def _filters(
    outlets: list[str], since: str, until: str, as_of: str = "", include_inferred: bool = False
) -> Any:
    from assistant.types import Filters

    for label, value in (("--since", since), ("--until", until), ("--as-of", as_of)):
        if value:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise InputError(f"{label} takes a date as YYYY-MM-DD, not {value!r}") from None
    return Filters(
        outlets=tuple(outlets),
        since=since,
        until=until,
        as_of=as_of,
        include_inferred=include_inferred,
    )


def model_overrides(backend: str, model: str) -> dict[str, Any]:
    """Settings overrides for ``--backend`` and ``-m/--model`` (which names a model of the
    backend in effect: the flag's, else the configured one)."""
    overrides: dict[str, Any] = {"answer": {"backend": backend}} if backend else {}
    if not model:
        return overrides
    from assistant.settings import load_settings

    effective = backend or load_settings().answer.backend
    if effective == "openai":
        overrides["openai"] = {"model": model}
    elif effective == "local":
        overrides["local"] = {"model_path": model}
    else:
        raise InputError(
            f"--model names a model of the openai or local backend; {effective} has none"
        )
    return overrides


def run_ask(
    question: str,
    *,
    as_json: bool,
    session: str,
    overrides: dict[str, Any],
    filters: Any,
    k: int | None,
    perspectives: bool = False,
) -> None:
    from assistant.answer.events import Done, Draft, Failed, TextDelta
    from assistant.answer.service import Assistant, clean_question
    from assistant.sessions.turn import run_turn
    from assistant.settings import load_settings

    settings = load_settings(**overrides)
    question = clean_question(question, settings.answer.max_question_chars)
    conversation = _open_conversation(settings, session)
    assistant = Assistant.from_settings(settings, on_status=status)
    assistant.perspectives = perspectives
    shown = ""
    draft = DraftLine(sys.stderr) if not as_json else None
    for event in run_turn(assistant, question, conversation, filters=filters, k=k):
        if isinstance(event, Draft):
            if draft is not None:
                draft.show(event.text)
            continue
        if draft is not None:
            draft.clear()
        if isinstance(event, TextDelta) and not as_json:
            sys.stdout.write(for_terminal(event.text))
            sys.stdout.flush()
            shown += event.text
        elif isinstance(event, Failed):
            if shown:
                sys.stdout.write("\n")
            raise fail(event.message, event.exit_code)
        elif isinstance(event, Done):
            answer, session_id = event.answer, conversation.session_id
            if as_json:
                data = answer.to_dict()
                if session_id:
                    data["session_id"] = session_id
                print(json_for_terminal(json.dumps(data, ensure_ascii=False, indent=2)))
            else:
                _print_answer(answer, shown)
                _print_perspectives(answer)
                _print_sources(answer, session_id)


class DraftLine:
    """The model's unchecked words on one dim, replaced line of a terminal: visibly
    provisional, and erased before the checked answer is printed. Nothing when not a tty."""

    WIDTH = 70

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._on = bool(getattr(stream, "isatty", lambda: False)())
        self._shown = False

    def show(self, text: str) -> None:
        if not self._on:
            return
        flat = "".join(ch if ch.isprintable() else " " for ch in " ".join(text.split()))
        tail = flat[-self.WIDTH :]
        self._stream.write(f"\r\x1b[2K\x1b[2m(checking the model's draft) {tail}\x1b[0m")
        self._stream.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self._stream.write("\r\x1b[2K")
            self._stream.flush()
            self._shown = False


def _open_conversation(settings: Any, session: str) -> Any:
    """The session store loads only when a session is asked for."""
    from assistant.sessions.turn import Conversation, open_conversation

    if not session:
        return Conversation()
    from assistant.sessions.store import SessionStore

    return open_conversation(SessionStore(settings.sessions_db), session)


def _print_answer(answer: Any, shown: str) -> None:
    """Streamed text is what a model wrote before its quotes were checked; when the checked
    answer differs, say so rather than leave unchecked words standing as the answer."""
    final = answer.text.strip()
    if not shown.strip():
        sys.stdout.write(for_terminal(answer.text))
    elif shown.strip() != final:
        if shown.rstrip().endswith(final):
            print(
                "\n\nNote: the model's own words above the quoted answer could not be checked "
                "against the articles and are withdrawn.",
                end="",
            )
        else:
            print(
                "\n\nChecked against the articles, the answer reads:\n" + for_terminal(answer.text),
                end="",
            )
    print()


def _print_perspectives(answer: Any) -> None:
    """One block per outlet: its label and date, then its quotes with their speakers."""
    if answer.perspectives is None:
        return
    print("\nWho says what:")
    for block in answer.perspectives:
        print(f"■ {one_line(block.label())} — {one_line(block.date_text)}")
        for c in block.citations:
            said = f"{c.speaker}: " if c.speaker else ""
            print(f"  [{c.n}] {one_line(said)}“{one_line(c.quote)}”")


def _print_sources(answer: Any, session_id: str) -> None:
    for note in answer.notes:
        print(f"Note: {one_line(note)}")
    if answer.unverified:
        print(
            f"Note: {len(answer.unverified)} quote(s) the model gave could not be found in "
            "the articles and were dropped:"
        )
        for u in answer.unverified:
            print(f"  - “{one_line(u.quote[:120])}” ({one_line(u.reason)})")
    if answer.citations:
        in_blocks = {c.n for p in answer.perspectives or [] for c in p.citations}
        print("\nSources:")
        for c in answer.citations:
            print(f"[{c.n}] {one_line(c.label())}")
            if c.n not in in_blocks:  # each quote is printed once
                said = f" — attributed to {c.speaker}" if c.speaker else ""
                print(f"    “{one_line(c.quote)}”{one_line(said)}")
            print(f"    {one_line(c.article_id)} chars {c.start}-{c.end}")
    if session_id:
        print(f"\n(session {session_id})", file=sys.stderr)
