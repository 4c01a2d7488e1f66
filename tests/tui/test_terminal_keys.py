"""The bytes tmux and xterm send for the chat's chords reach the app as those chords."""

from __future__ import annotations

from textual._xterm_parser import XTermParser

from tui import keys


def parsed(data: str) -> list[str]:
    keys.install()
    return [e.key for e in XTermParser().feed(data) if hasattr(e, "key")]


def test_alt_digits_alt_enter_and_ctrl_j_as_tmux_sends_them() -> None:
    # tmux `send-keys M-1`, `M-Enter`, `C-j` (checked against a raw pty) and plain typing.
    assert parsed("\x1b1\x1b\rab\x1b9\n\r") == [
        "alt+1",
        "alt+enter",
        "a",
        "b",
        "alt+9",
        "ctrl+j",
        "enter",
    ]
