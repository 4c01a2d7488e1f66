"""The question box: Enter sends, a newline key adds a line, Up/Down recall earlier questions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from textual import events
from textual.message import Message
from textual.widgets import TextArea

NEWLINE_KEYS = frozenset({"shift+enter", "ctrl+j", "alt+enter", "ctrl+enter"})
PLACEHOLDER = "Ask about the news…  Enter sends · ctrl+j new line · ↑ earlier questions"
HINT = "enter send · ctrl+j new line"


class QuestionInput(TextArea):
    """A multi-line box that sends on Enter, like a web chat's."""

    @dataclass(eq=False)
    class Submitted(Message):
        text: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            id=id, soft_wrap=True, show_line_numbers=False, placeholder=PLACEHOLDER, compact=False
        )
        self.border_subtitle = HINT
        self._asked: list[str] = []
        self._recall: int | None = None

    def remember(self, questions: Iterable[str]) -> None:
        """Replace the questions Up walks through (oldest first)."""
        self._asked = [q for q in questions if q.strip()]
        self._recall = None

    def add_to_history(self, question: str) -> None:
        if question.strip() and (not self._asked or self._asked[-1] != question):
            self._asked.append(question)
        self._recall = None

    async def _on_key(self, event: events.Key) -> None:
        key = event.key
        if key == "enter":
            event.stop()
            event.prevent_default()
            self.post_message(self.Submitted(self.text))
            return
        if key in NEWLINE_KEYS:
            event.stop()
            event.prevent_default()
            start, end = self.selection
            self._replace_via_keyboard("\n", start, end)
            return
        if key in ("up", "down") and self._walk(-1 if key == "up" else 1):
            event.stop()
            event.prevent_default()
            return
        if key.startswith(("alt+", "ctrl+")):
            return  # a chord is a command (alt+1 opens a source), never a character
        self._recall = None
        await super()._on_key(event)

    def _walk(self, step: int) -> bool:
        """Up/Down in an empty box (or one showing a recalled question) walk the history."""
        recalled = self._recall is not None and self.text == self._asked[self._recall]
        if not self._asked or not (recalled or not self.text):
            return False
        row = self.cursor_location[0]
        if recalled and step < 0 and row > 0:
            return False
        if recalled and step > 0 and row < self.document.line_count - 1:
            return False
        index = (len(self._asked) if self._recall is None else self._recall) + step
        if index < 0:
            return True
        if index >= len(self._asked):
            self._recall = None
            self.clear()
            return True
        self._recall = index
        self.load_text(self._asked[index])
        self.move_cursor(self.document.end)
        return True
