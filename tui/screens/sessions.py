"""Saved sessions: search, resume, start new, rename, delete (confirmed), export."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, ListItem, ListView, Static

from assistant.errors import AssistantError
from assistant.sessions.store import Session
from tui.screens.dialogs import ConfirmModal, PromptModal

if TYPE_CHECKING:
    from tui.app import ChatApp


def session_label(session: Session, last_question: str = "") -> Text:
    """Title on the first line; date, questions and the latest question on the second,
    so sessions that began with the same question still read differently."""
    text = Text(session.title or "untitled session", style="bold", no_wrap=True)
    text.overflow = "ellipsis"
    when = session.updated_at[:16].replace("T", " ")
    turns = f"{session.turns} question" + ("" if session.turns == 1 else "s")
    second = f"\n{when} · {turns}"
    if last_question and session.turns > 1:
        second += f" · last: {' '.join(last_question.split())}"
    text.append(second, style="dim")
    return text


class SessionItem(ListItem):
    def __init__(self, session: Session, current: bool, last_question: str = "") -> None:
        label = Label(session_label(session, last_question))
        super().__init__(label, classes="current" if current else "")
        self.session = session


class SessionsScreen(Screen[str | None]):
    """Dismisses with the id of the session to resume, "" for a new one, None to go back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", tooltip="Back to the chat (clears a search first)"),
        Binding("enter", "resume", "Resume", show=False, tooltip="Resume the highlighted session"),
        Binding("n,ctrl+n", "new", "New", tooltip="Start a new session"),
        Binding("r,f2", "rename", "Rename", tooltip="Rename the highlighted session"),
        Binding("d,delete,f8", "delete", "Delete", tooltip="Delete the highlighted session (asks)"),
        Binding("e,f3", "export", "Export", tooltip="Export it: asks for the path first"),
        Binding("slash", "search", "Search", tooltip="Search titles and messages"),
    ]

    def __init__(self) -> None:
        super().__init__(id="sessions")

    @property
    def chat_app(self) -> ChatApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static("Sessions", id="sessions-title")
        yield Input(placeholder="/ search titles and messages", id="session-search")
        yield ListView(id="session-list")
        yield Static("", id="sessions-empty")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        self.query_one(ListView).focus()

    def on_screen_resume(self) -> None:
        self.query_one(ListView).focus()

    def reload(self, keep: str | None = None) -> None:
        query = self.query_one("#session-search", Input).value
        try:
            found = self.chat_app.store.list(query)
        except AssistantError as err:
            self.notify(str(err), title="Sessions store", severity="error", markup=False)
            found = []
        current = self.chat_app.session.id if self.chat_app.session else None
        view = self.query_one(ListView)
        view.clear()
        view.extend(SessionItem(s, s.id == current, self._last_question(s)) for s in found)
        ids = [s.id for s in found]
        if ids:
            view.index = ids.index(keep) if keep in ids else 0
        empty = self.query_one("#sessions-empty", Static)
        empty.update("" if found else ("No matching sessions." if query else "No sessions yet."))
        empty.display = not found

    def _last_question(self, session: Session) -> str:
        if session.turns < 2:
            return ""
        try:
            asked = [m for m in self.chat_app.store.messages(session.id) if m.role == "user"]
        except AssistantError:
            return ""
        return asked[-1].content if asked else ""

    def selected(self) -> Session | None:
        item = self.query_one(ListView).highlighted_child
        return item.session if isinstance(item, SessionItem) else None

    def on_input_changed(self, event: Input.Changed) -> None:
        self.reload()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(ListView).focus()

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        if isinstance(event.item, SessionItem):
            self.dismiss(event.item.session.id)

    def action_search(self) -> None:
        self.query_one("#session-search", Input).focus()

    def action_back(self) -> None:
        search = self.query_one("#session-search", Input)
        if search.has_focus and search.value:
            search.value = ""
            self.query_one(ListView).focus()
            return
        self.dismiss(None)

    def action_resume(self) -> None:
        session = self.selected()
        if session is not None:
            self.dismiss(session.id)

    def action_new(self) -> None:
        self.dismiss("")

    def action_rename(self) -> None:
        session = self.selected()
        if session is None:
            return

        def done(title: str | None) -> None:
            if title is not None and title.strip():
                self.chat_app.rename_session(session.id, title)
                self.reload(keep=session.id)

        self.app.push_screen(PromptModal("Rename session", session.title), done)

    def action_delete(self) -> None:
        session = self.selected()
        if session is None:
            return

        def done(confirmed: bool | None) -> None:
            if confirmed:
                self.chat_app.delete_session(session.id)
                self.reload()

        title = session.title or "untitled session"
        question = f"Delete “{title}” and its {session.turns} questions?"
        self.app.push_screen(ConfirmModal(question), done)

    def action_export(self) -> None:
        session = self.selected()
        if session is not None:
            self.chat_app.export_prompt(session)
