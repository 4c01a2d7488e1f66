"""The conversation: questions, answers that fill in as they stream, and their sources.

Each quote is shown once: inline in the answer text (``Answer.inline_quotes()``) or, when
the text does not carry it, under its one-line source, where it can be folded away.
"""

from __future__ import annotations

import re
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Static

from assistant.types import Answer, Citation

_MARKER = re.compile(r"\[(\d+)\]")


def answer_text(text: str, stopped: bool = False) -> Text:
    """Answer text with its markers [n] emphasised; a click on one opens that source."""
    rendered = Text(text.rstrip() if stopped else text)
    for match in _MARKER.finditer(rendered.plain):
        click = Style(bold=True, underline=True, meta={"@click": f"open_source({match[1]})"})
        rendered.stylize(click, match.start(), match.end())
    if stopped:
        rendered.append(" [stopped]", style="italic bold")
    return rendered


def source_line(c: Citation, width: int = 0, tail: str = "") -> Text:
    """``[n] outlet · title · date`` on one line of ``width`` cells: a long title is cut,
    never the marker or the date."""
    head = f"{c.outlet or 'unknown outlet'} · "
    title = c.title or c.article_id
    end = f" · {c.date_text()}"
    marker = f"[{c.n}] "
    room = width - cell_len(marker + head + end + tail) if width else cell_len(title)
    if cell_len(title) > room:
        title = set_cell_size(title, max(room - 1, 1)).rstrip() + "…"
    line = Text.assemble((marker, "bold"), head, title, end)
    if tail:
        line.append(tail, style=Style(dim=True, meta={"@click": "fold"}))
    return line


class QuestionBox(Static):
    """One question as the user asked it."""

    def __init__(self, question: str) -> None:
        super().__init__(Text(question), classes="question")
        self.question = question


class SourceOpened(Message):
    """A source was chosen (Enter on it, a click on it or on its [n] in the text)."""

    def __init__(self, citation: Citation) -> None:
        super().__init__()
        self.citation = citation


class AnswerText(Static):
    """The answer's prose; its [n] markers are links to the sources."""

    def action_open_source(self, n: int) -> None:
        box = next((a for a in self.ancestors if isinstance(a, AnswerBox)), None)
        citation = box.citation(n) if box is not None else None
        if citation is not None:
            self.post_message(SourceOpened(citation))


class SourceItem(Static, can_focus=True):
    """One citation under an answer. Enter or a click opens the article at the quote;
    → / ← show and hide a quote the answer text does not already carry."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open source", show=False),
        Binding("right", "fold(True)", "Show quote", show=False),
        Binding("left", "fold(False)", "Hide quote", show=False),
    ]

    Selected = SourceOpened

    def __init__(self, citation: Citation, *, inline: bool) -> None:
        self.citation = citation
        self.inline = inline
        self.expanded = False
        super().__init__(classes="source")

    def render(self) -> RenderableType:
        width = self.content_region.width or self.size.width
        if self.inline:
            return source_line(self.citation, width)
        tail = f" {'▾' if self.expanded else '▸'} quote"
        line = source_line(self.citation, width, tail)
        if not self.expanded:
            return line
        quote = Text(f"“{' '.join(self.citation.quote.split())}”", style="italic")
        return Group(line, Padding(quote, (0, 0, 0, 4)))

    def action_open(self) -> None:
        self.post_message(SourceOpened(self.citation))

    def action_fold(self, expand: bool | None = None) -> None:
        if self.inline:
            return
        self.expanded = (not self.expanded) if expand is None else expand
        self.set_class(self.expanded, "expanded")
        self.refresh(layout=True)

    def on_click(self, event: events.Click) -> None:
        if not (event.style and event.style.meta.get("@click")):
            self.action_open()


class AnswerBox(Vertical):
    """An answer: a state line while it runs, the text as it streams, then its sources."""

    def __init__(
        self, box_id: str, stored: Answer | None = None, *, live: bool = False, failure: str = ""
    ) -> None:
        """``live`` for an answer about to stream; otherwise ``stored`` is shown, or the saved
        ``failure``, or (neither) that no answer was saved."""
        super().__init__(id=box_id, classes="answer")
        self.text = ""
        self.citations: list[Citation] = []
        self.answer: Answer | None = None
        self.running = live
        self.state = ""
        self._stored = stored
        self._failure = failure

    def compose(self) -> ComposeResult:
        """The state may be set before the box is composed (a queued question)."""
        state = Static(self.state, classes="answer-state")
        state.display = bool(self.state)
        yield state
        yield AnswerText(answer_text(self.text), classes="answer-text")
        yield Vertical(classes="sources")

    def on_mount(self) -> None:
        if self.running:
            return
        if self._stored is not None:
            self.finish(self._stored)
        else:
            self.fail(self._failure or "no answer was saved for this question")

    def citation(self, n: int) -> Citation | None:
        return next((c for c in self.citations if c.n == n), None)

    def set_state(self, state: str) -> None:
        self.state = state
        for widget in self.query(".answer-state").results(Static):
            widget.update(state)
            widget.display = bool(state)

    def append_text(self, piece: str) -> None:
        self.text += piece
        self.query_one(".answer-text", Static).update(answer_text(self.text))

    def add_citation(self, citation: Citation) -> None:
        """While streaming, a citation is known before the final text: keep it for [n]."""
        if self.citation(citation.n) is None:
            self.citations.append(citation)

    def finish(self, answer: Answer) -> None:
        """Show the final answer: its text, one line per source, and [stopped] if stopped."""
        self.running = False
        self.answer = answer
        self.text = answer.text
        body = answer.text
        if answer.refused and not body:
            body = answer.refusal_reason or "No answer found in the articles."
        if answer.stopped and not body:
            body = "(stopped before any text)"
        shown = answer_text(body, answer.stopped)
        for block in answer.perspectives or []:
            markers = " ".join(f"[{c.n}]" for c in block.citations)
            shown.append(f"\n■ {block.label()} — {block.date_text}: ", style="bold")
            shown.append(markers)
        for note in _notes(answer):
            shown.append(f"\n{note}", style="italic dim")
        self.query_one(".answer-text", Static).update(shown)
        self.citations = list(answer.citations)
        self._show_sources(answer)
        self.set_state("")

    def _show_sources(self, answer: Answer) -> None:
        sources = self.query_one(".sources", Vertical)
        sources.remove_children()
        if not answer.citations:
            return
        inline = answer.inline_quotes()
        sources.mount_all(
            [
                Static("Sources", classes="sources-title"),
                *(SourceItem(c, inline=c.n in inline) for c in answer.citations),
            ]
        )

    def fail(self, message: str) -> None:
        self.running = False
        self.set_state("")
        shown = f"{self.text} " if self.text else ""
        failure = answer_text(shown)
        failure.append(f"⚠ {message}", style="bold")
        self.query_one(".answer-text", Static).update(failure)
        self.add_class("failed")


class Conversation(VerticalScroll):
    """The scrolling list of questions and answers."""

    def answers(self) -> list[AnswerBox]:
        return list(self.query(AnswerBox))

    def clear(self) -> None:
        self.remove_children()


def _notes(answer: Answer) -> list[str]:
    """What the reader must know about how the answer was checked: fallbacks, dropped quotes."""
    notes = [f"Note: {n}" for n in answer.notes]
    if answer.unverified:
        notes.append(
            f"Note: {len(answer.unverified)} quote(s) the model gave could not be found in the "
            "articles and were dropped."
        )
    return notes
