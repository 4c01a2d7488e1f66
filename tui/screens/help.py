"""Every key binding, read from the screens' own BINDINGS so the list cannot drift."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

EXTRA: dict[str, list[tuple[str, str]]] = {
    "Chat": [
        ("enter", "New line in the question"),
        ("1 … 9", "Open source [n] of the latest (or focused) answer, when not typing"),
        ("tab / shift+tab", "Move between the question box and the sources"),
        ("enter / click", "Open the focused or clicked source"),
    ],
    "Source viewer": [("↑ ↓ / pgup pgdn", "Scroll the article")],
    "Sessions": [("↑ ↓ / click", "Highlight / resume a session")],
    "Dialogs": [
        ("y / n / esc", "Confirm or cancel a deletion"),
        ("enter / esc", "Accept or cancel a rename or an export path"),
    ],
    "Everywhere": [
        ("ctrl+p", "Command palette: every action by name"),
        ("ctrl+q", "Quit"),
    ],
}

_KEY_NAMES = {"slash": "/", "question_mark": "?", "escape": "esc", "delete": "del"}


def _keys(binding: Binding) -> str:
    return " / ".join(_KEY_NAMES.get(k.strip(), k.strip()) for k in binding.key.split(","))


def binding_rows(bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for b in bindings:
        if not isinstance(b, Binding) or not b.description or b.key in "123456789":
            continue
        rows.append((_keys(b), b.tooltip or b.description))
    return rows


def help_table(sections: Mapping[str, Iterable[BindingType]]) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), expand=True)
    table.add_column("key", style="bold", no_wrap=True)
    table.add_column("action", ratio=1)
    for name, bindings in sections.items():
        table.add_row(Text(name, style="bold underline"), "")
        for key, what in binding_rows(bindings) + EXTRA.get(name, []):
            table.add_row(Text(key), Text(what))
        table.add_row("", "")
    for name, extra in EXTRA.items():
        if name not in sections:
            table.add_row(Text(name, style="bold underline"), "")
            for key, what in extra:
                table.add_row(Text(key), Text(what))
    return table


class HelpScreen(Screen[None]):
    """Lists the bindings of the app and of each screen."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,f1", "app.pop_screen", "Close")]

    def __init__(self, sections: Mapping[str, Iterable[BindingType]]) -> None:
        super().__init__(id="help")
        self.sections = sections

    def compose(self) -> ComposeResult:
        yield Static("Keys", id="help-title")
        with VerticalScroll(id="help-body"):
            yield Static(help_table(self.sections))
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()
