"""`assistant sessions list|show|export|delete`: read and manage saved chat sessions."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

import typer

from assistant.cli._common import user_errors
from assistant.errors import EXIT_DECLINED, InputError
from assistant.settings import load_settings
from assistant.text.safe import for_terminal, one_line

if TYPE_CHECKING:  # the store loads only for `sessions` commands, not on every `ask`
    from assistant.sessions.store import SessionStore


def _store() -> SessionStore:
    from assistant.sessions.store import SessionStore

    return SessionStore(load_settings().sessions_db)


def register(app: typer.Typer) -> None:
    sessions = typer.Typer(
        name="sessions",
        help="List, show, export and delete saved chat sessions.",
        no_args_is_help=True,
    )
    app.add_typer(sessions)

    @sessions.command("list")
    def list_(
        query: str = typer.Argument(
            "", help="Only sessions whose title or messages contain this text."
        ),
        as_json: bool = typer.Option(
            False, "--json", help="Print a JSON list: id, title, created_at, updated_at, turns."
        ),
    ) -> None:
        """List sessions, most recently used first: id, last update, turns, title."""
        with user_errors():
            found = _store().list(query)
        if as_json:
            import json
            from dataclasses import asdict

            print(json.dumps([asdict(s) for s in found], ensure_ascii=False, indent=2))
            return
        if not found:
            print("no sessions" + (f" matching '{query}'" if query else ""), file=sys.stderr)
            return
        for s in found:
            when = s.updated_at[:16].replace("T", " ")
            print(f"{s.id}  {when}  {s.turns:>3}  {one_line(s.title)}")

    @sessions.command("show")
    def show(
        session_id: str = typer.Argument(..., metavar="ID", help="Session id or unique prefix."),
    ) -> None:
        """Print a session's questions and answers, with each answer's sources."""
        with user_errors():
            store = _store()
            session = store.require(session_id)
            messages = store.messages(session.id)
        title = one_line(session.title or "Untitled session")
        print(f"{title}  ({session.id}, {session.created_at})")
        for m in messages:
            if m.role == "user":
                print(f"\n> {one_line(m.content)}\n")
            elif m.answer is not None:
                from assistant.sessions.export import answer_markdown

                print(for_terminal(answer_markdown(m.answer)))

    @sessions.command("export")
    def export(
        session_id: str = typer.Argument(..., metavar="ID", help="Session id or unique prefix."),
        fmt: str = typer.Option("md", "--format", "-f", help="md (Markdown) or json."),
        output: str = typer.Option(
            "", "--output", "-o", help="Write to this file instead of standard output."
        ),
        force: bool = typer.Option(
            False, "--force", help="Replace the --output file if it exists."
        ),
    ) -> None:
        """Export a session to Markdown or JSON, every citation with its offsets."""
        with user_errors():
            if fmt not in ("md", "json"):
                raise InputError(f"unknown format '{fmt}'; use md or json")
            from assistant.sessions.export import export_session, write_export

            _, text = export_session(_store(), session_id, cast(Literal["md", "json"], fmt))
            if not output:
                sys.stdout.write(text)
                return
            data_dir = load_settings().data_dir
            write_export(Path(output).expanduser(), text, data_dir=data_dir, force=force)
        print(f"wrote {one_line(output)}", file=sys.stderr)

    @sessions.command("delete")
    def delete(
        session_id: str = typer.Argument(..., metavar="ID", help="Session id or unique prefix."),
        yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    ) -> None:
        """Delete a session and all its messages."""
        with user_errors():
            store = _store()
            session = store.require(session_id)
            title = one_line(session.title)
            question = f"Delete session {session.id} '{title}' ({session.turns} turns)?"
            if not yes and not typer.confirm(question):
                print("not deleted", file=sys.stderr)
                raise typer.Exit(EXIT_DECLINED)
            store.delete(session.id)
        print(f"deleted {session.id}", file=sys.stderr)
