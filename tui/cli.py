"""`assistant chat` (and `assistant` with no arguments): opens the chat app."""

from __future__ import annotations

from typing import Any

import typer

from assistant.cli._common import user_errors
from assistant.errors import InputError
from assistant.sessions.store import SessionStore
from assistant.settings import load_settings

BACKENDS = ("extractive", "fitted", "openai", "local", "top-passage")


def register(app: typer.Typer) -> None:
    @app.command("chat")
    def chat(
        session: str | None = typer.Option(
            None, "--session", "-s", help="Resume this session (id or unique prefix)."
        ),
        backend: str | None = typer.Option(
            None,
            "--backend",
            "-b",
            help="Answer with extractive (the default), fitted, top-passage, openai or local.",
        ),
        light: bool = typer.Option(
            False, "--light", help="Start with the light theme (otherwise the last theme used)."
        ),
    ) -> None:
        """Open the chat app: ask questions, read the cited articles, manage sessions."""
        from tui.app import make_app

        with user_errors():
            overrides: dict[str, Any] = {}
            if backend and backend not in BACKENDS:
                raise InputError(f"unknown backend '{backend}'; use {', '.join(BACKENDS)}")
            if backend:
                overrides["answer"] = {"backend": backend}
            settings = load_settings(**overrides)
            store = SessionStore(settings.sessions_db)
            if session:
                session = store.require(session).id
        make_app(
            settings=settings, store=store, session_id=session, theme="light" if light else None
        ).run()
