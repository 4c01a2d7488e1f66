"""The `assistant` command: thin typer commands over the library.

Commands of the chat app and the eval runner live outside the library (tui/, evals/) and
register themselves through the ``assistant.commands`` entry-point group, so the library
never imports them.
"""

from __future__ import annotations

import sys
from importlib.metadata import entry_points

import typer

try:  # typer ≥ 0.20 carries its own copy of click
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover
    from click import exceptions as click_errors  # type: ignore[no-redef]

from assistant.cli import (
    ask,
    config_cmd,
    feeds,
    ingest,
    llama_server,
    serve_cmd,
    sessions,
    timeline,
)
from assistant.errors import EXIT_BUG, EXIT_INTERRUPTED, AssistantError
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

for module in (ingest, feeds, ask, sessions, config_cmd, serve_cmd, timeline, llama_server):
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


_CORE = {
    "ingest",
    "sources",
    "feeds",
    "ask",
    "sessions",
    "config",
    "serve",
    "mcp",
    "timeline",
    "llama-server",
}


def main() -> None:
    """Console entry point: no arguments opens the chat app."""
    args = sys.argv[1:]
    if not args:
        args = ["chat"]
    if args[0] not in _CORE:
        _load_plugins()
    try:
        code = app(args=args, prog_name="assistant", standalone_mode=False)
    except click_errors.NoArgsIsHelpError as err:  # the help is printed as this is raised
        if err.format_message():
            print(err.format_message())
        sys.exit(err.exit_code)
    except click_errors.ClickException as err:  # bad flags: one line, not typer's box
        ctx = getattr(err, "ctx", None)
        command = f"assistant {ctx.command_path.partition(' ')[2]}".strip() if ctx else ""
        hint = f" (see `{command} --help`)" if command else ""
        print(f"assistant: error: {one_line(err.format_message())}{hint}", file=sys.stderr)
        sys.exit(err.exit_code)
    except typer.Abort:
        print("assistant: error: interrupted", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    except AssistantError as err:  # e.g. bad configuration met outside a command's own handler
        print(f"assistant: error: {one_line(str(err))}", file=sys.stderr)
        sys.exit(err.exit_code)
    except Exception as exc:  # a bug, not bad input: one line unless debugging
        if debug_enabled():
            raise
        print(
            f"assistant: internal error: {type(exc).__name__}: {one_line(str(exc))} "
            "(set ASSISTANT_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        sys.exit(EXIT_BUG)
    sys.exit(code if isinstance(code, int) else 0)
