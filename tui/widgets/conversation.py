"""The conversation: questions, answers that fill in as they stream, and their sources."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Static

from assistant.types import Answer, Citation

_MARKER = re.compile(r"\[\d+\]")


def answer_text(text: str, stopped: bool = False) -> Text:
    """Answer text with its citation markers [n] emphasised."""
    rendered = Text(text.rstrip() if stopped else text)
    rendered.highlight_regex(_MARKER, "bold underline")
    if stopped:
        rendered.append(" [stopped]", style="italic bold")
    return rendered


class QuestionBox(Static):
    """One question as the user asked it."""

    def __init__(self, question: str) -> None:
        super().__init__(Text(question), classes="question")


class SourceItem(Static, can_focus=True):
    """One citation under an answer: Enter or a click opens the article at the quote."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "open", "Open source", show=False)]

    @dataclass(eq=False)
    class Selected(Message):
        citation: Citation

    def __init__(self, citation: Citation) -> None:
        self.citation = citation
        super().__init__(self._render_citation(citation), classes="source")

    @staticmethod
    def _render_citation(c: Citation) -> Table:
        """``[n]`` in its own column so the quote and its source wrap under each other."""
        body = Text()
        body.append(f"“{' '.join(c.quote.split())}”", style="italic")
        body.append(f"\n— {c.label()}")
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(ratio=1)
        grid.add_row(Text(f"[{c.n}]", style="bold"), body)
        return grid

    def action_open(self) -> None:
        self.post_message(self.Selected(self.citation))

    def on_click(self) -> None:
        self.action_open()


class AnswerBox(Vertical):
    """An answer: a state line while it runs, the text as it streams, then its sources."""

    def __init__(self, box_id: str, stored: Answer | None = None, *, live: bool = False) -> None:
        """``live`` for an answer about to stream; otherwise ``stored`` is shown (or, if
        None, that no answer was saved)."""
        super().__init__(id=box_id, classes="answer")
        self.text = ""
        self.citations: list[Citation] = []
        self.running = live
        self._stored = stored

    def compose(self) -> ComposeResult:
        yield Static("retrieving…" if self.running else "", classes="answer-state")
        yield Static("", classes="answer-text")
        yield Vertical(classes="sources")

    def on_mount(self) -> None:
        if self.running:
            return
        if self._stored is not None:
            self.finish(self._stored)
        else:
            self.fail("no answer was saved for this question")

    def set_state(self, state: str) -> None:
        widget = self.query_one(".answer-state", Static)
        widget.update(state)
        widget.display = bool(state)

    def append_text(self, piece: str) -> None:
        self.text += piece
        self.query_one(".answer-text", Static).update(answer_text(self.text))

    def add_citation(self, citation: Citation) -> None:
        if any(c.n == citation.n for c in self.citations):
            return
        self.citations.append(citation)
        sources = self.query_one(".sources", Vertical)
        if not sources.children:
            sources.mount(Static("Sources", classes="sources-title"))
        sources.mount(SourceItem(citation))

    def finish(self, answer: Answer) -> None:
        """Show the final answer: its full text, every citation, and [stopped] if stopped."""
        self.running = False
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
        for citation in answer.citations:
            self.add_citation(citation)
        self.set_state("")

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
