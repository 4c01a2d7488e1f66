"""`assistant chat` options: bad input is one line and an exit code, before any UI starts."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from tui.cli import register


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Root."""

    register(app)
    return app


def test_unknown_backend_and_session_are_one_line_errors() -> None:
    out = CliRunner().invoke(cli(), ["chat", "--backend", "nope"])
    assert out.exit_code == 2 and "unknown backend 'nope'" in out.stderr
    out = CliRunner().invoke(cli(), ["chat", "--session", "zzzz"])
    assert out.exit_code == 2 and "no session 'zzzz'" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_chat_help_describes_every_option() -> None:
    out = CliRunner().invoke(cli(), ["chat", "--help"])
    assert out.exit_code == 0
    for option in ("--session", "--backend", "--light"):
        assert option in out.stdout
