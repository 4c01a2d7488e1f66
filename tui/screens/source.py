"""The article behind a citation, scrolled to the quote with the quoted span highlighted."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from assistant.types import Article, Citation

QUOTE_STYLE = "bold reverse"


def citation_line(citation: Citation) -> str:
    """What ``c`` copies: the verbatim quote and where it comes from."""
    return (
        f"“{citation.quote}” — {citation.label()} "
        f"(article {citation.article_id}, characters {citation.start}–{citation.end})"
    )


def article_lines(text: str, start: int, end: int) -> list[tuple[Text, bool]]:
    """The article as lines, each with the part inside ``[start, end)`` highlighted."""
    lines: list[tuple[Text, bool]] = []
    offset = 0
    for raw in text.splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        line = Text(body)
        lo, hi = max(start, offset) - offset, min(end, offset + len(body)) - offset
        marked = lo < hi
        if marked:
            line.stylize(QUOTE_STYLE, lo, hi)
        lines.append((line, marked))
        offset += len(raw)
    return lines


class SourceScreen(Screen[None]):
    """Title, outlet and date of the article, then its full text."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "app.pop_screen", "Back", tooltip="Back to the chat"),
        Binding("c", "copy_quote", "Copy quote", tooltip="Copy the quote with its citation"),
        Binding("g", "scroll_to_quote", "Go to quote", tooltip="Scroll back to the quote"),
    ]

    def __init__(self, citation: Citation, article: Article | None, text: str | None) -> None:
        super().__init__()
        self.citation = citation
        self.article = article
        self.text = text

    def compose(self) -> ComposeResult:
        c, a = self.citation, self.article
        title = (a.title if a else c.title) or c.article_id
        outlet = (a.outlet if a else c.outlet) or "unknown outlet"
        date = c.date_text()
        yield Static(Text(title, style="bold"), id="source-title")
        yield Static(
            Text(f"{outlet} · {date} · quote [{c.n}], characters {c.start}–{c.end}"),
            id="source-meta",
        )
        with VerticalScroll(id="source-body"):
            if self.text is None:
                yield Static(
                    Text(
                        "This article is no longer in the index; the quote as cited:\n\n"
                        f"“{c.quote}”"
                    ),
                    classes="source-missing",
                )
            else:
                for line, marked in article_lines(self.text, c.start, c.end):
                    yield Static(line, classes="line quote" if marked else "line")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#source-body").focus()
        self.call_after_refresh(self.action_scroll_to_quote)

    def action_scroll_to_quote(self) -> None:
        marked = self.query(".quote")
        if marked:
            self.query_one("#source-body", VerticalScroll).scroll_to_widget(
                marked.first(), animate=False, center=True
            )

    def action_copy_quote(self) -> None:
        self.app.copy_to_clipboard(citation_line(self.citation))
        self.notify(f"Copied quote [{self.citation.n}] with its citation.", title="Copied")
