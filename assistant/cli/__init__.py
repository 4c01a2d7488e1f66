"""The `assistant` command: thin typer commands over the library.

Commands of the chat app and the eval runner live outside the library (tui/, evals/) and
register themselves through the ``assistant.commands`` entry-point group, so the library
never imports them.
"""

from __future__ import annotations

import sys
from importlib.metadata import entry_points

import typer

from assistant.cli import ask, config_cmd, feeds, ingest, serve_cmd, sessions
from assistant.errors import EXIT_BUG
from assistant.settings import debug_enabled
from assistant.text.safe import one_line

app = typer.Typer(
    name="assistant",
    help="Answers questions about a collection of news articles, with verbatim cited quotes.\n\n"
    "Run with no command to open the chat app on the ingested articles.",
    no_args_is_help=False,
    add_completion=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)

for module in (ingest, feeds, ask, sessions, config_cmd, serve_cmd):
    module.register(app)

_PLUGINS_LOADED = False


def _load_plugins() -> None:
    """Add the commands other packages contribute (chat, eval)."""
    global _PLUGINS_LOADED
    if _PLUGINS_LOADED:
        return
    _PLUGINS_LOADED = True
    for ep in entry_points(group="assistant.commands"):
        ep.load()(app)


_CORE = {"ingest", "sources", "feeds", "ask", "sessions", "config", "serve", "mcp"}


def main() -> None:
    """Console entry point: no arguments opens the chat app."""
    args = sys.argv[1:]
    if not args:
        args = ["chat"]
    if args[0] not in _CORE:
        _load_plugins()
    try:
        app(args=args, prog_name="assistant")
    except Exception as exc:  # a bug, not bad input: one line unless debugging
        if debug_enabled():
            raise
        print(
            f"assistant: internal error: {type(exc).__name__}: {one_line(str(exc))} "
            "(set ASSISTANT_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        sys.exit(EXIT_BUG)
