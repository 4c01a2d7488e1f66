"""What every command shares: settings from flags, and errors as one line with an exit code."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import typer

from assistant.errors import AssistantError
from assistant.text.safe import one_line

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int) -> typer.Exit:
    """Print ``message`` as one line on stderr and return the Exit to raise."""
    line = one_line(" ".join(str(message).split()))
    print(f"assistant: error: {line}", file=sys.stderr)
    return typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn AssistantError (and Ctrl-C) into one line and the documented exit code."""
    try:
        yield
    except AssistantError as err:
        raise fail(str(err), err.exit_code) from None
    except KeyboardInterrupt:
        raise fail("interrupted", 130) from None


def status(message: str) -> None:
    """Progress notes go to stderr so stdout stays clean for --json."""
    print(one_line(message), file=sys.stderr, flush=True)
