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
        ("enter", "Send the question"),
        ("ctrl+j / alt+enter / shift+enter", "New line in the question"),
        ("↑ ↓ in an empty box", "Walk the questions asked earlier in this session"),
        ("alt+1 … alt+9", "Open source [n] of the latest answer, even while typing"),
        ("click [n]", "Open that source of any answer"),
        ("tab / shift+tab", "Move between the question box, the chat and the sources"),
        ("enter / → ←", "On a source: open it / show or hide its quote"),
        ("any letter", "Typed anywhere in the chat, it goes to the question box"),
    ],
    "Source viewer": [("↑ ↓ / pgup pgdn", "Scroll the article")],
    "Sessions": [("↑ ↓ / click", "Highlight / resume a session")],
    "Dialogs": [
        ("y / n / esc", "Confirm or cancel a deletion"),
        ("enter / esc", "Accept or cancel a rename or an export path"),
    ],
    "Everywhere": [
        ("ctrl+p", "Command palette: every action by name"),
    ],
}

_KEY_NAMES = {"slash": "/", "question_mark": "?", "escape": "esc", "delete": "del"}


def _keys(binding: Binding) -> str:
    return " / ".join(_KEY_NAMES.get(k.strip(), k.strip()) for k in binding.key.split(","))


def binding_rows(bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for b in bindings:
        if not isinstance(b, Binding) or not b.description or b.key.startswith("alt+"):
            continue
        rows.append((_keys(b), b.tooltip or b.description))
    return rows


def help_table(sections: Mapping[str, Iterable[BindingType]]) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), expand=True)
    table.add_column("key", style="bold", no_wrap=True)
    table.add_column("action", ratio=1)
    for name, bindings in sections.items():
        table.add_row(Text(name, style="bold underline"), "")
        for key, what in EXTRA.get(name, []) + binding_rows(bindings):
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
