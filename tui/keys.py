"""Two chords the chat relies on, as legacy terminals (tmux, xterm) send them.

tmux and xterm send alt+digit as ESC + digit and alt+Enter as ESC + CR. Textual reads
ESC + digit as the characters WezTerm on macOS types for Option+digit (¡ ™ £ …) and
ESC + CR as a plain Enter, so alt+1 would type "¡" and alt+Enter would send. ``install``
maps those sequences to the keys ``alt+1`` … ``alt+9`` and ``alt+enter``; terminals that
speak the kitty keyboard protocol report the same keys without it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class _Key:
    """Stands in for a ``textual.keys.Keys`` member: the parser reads only ``value``."""

    value: str


SEQUENCES = {
    **{f"\x1b{n}": (_Key(f"alt+{n}"),) for n in "123456789"},
    "\x1b\r": (_Key("alt+enter"),),
}


def install() -> None:
    """Teach Textual's input parser the sequences above (idempotent)."""
    from textual._ansi_sequences import ANSI_SEQUENCES_KEYS

    ANSI_SEQUENCES_KEYS.update(SEQUENCES)  # type: ignore[attr-defined]
