"""The chat screen: the conversation, a multi-line question box, and the answering worker.

Answers stream in from an exclusive thread worker that calls ``Assistant.stream`` and posts
the small messages of ``tui.messages``; the worker also commits each message as it completes.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Header, Static, TextArea

from assistant.answer.events import CitationAdded, Done, Failed, Retrieved, TextDelta
from assistant.answer.service import clean_question
from assistant.errors import AssistantError, InputError
from assistant.sessions.store import Message as StoredMessage
from assistant.types import Answer, Citation, Turn
from tui import messages as msg
from tui.widgets.conversation import AnswerBox, Conversation, QuestionBox, SourceItem

if TYPE_CHECKING:
    from assistant.answer.service import Assistant
    from assistant.sessions.store import SessionStore
    from tui.app import ChatApp

WELCOME = (
    "Ask a question about the news articles. Ctrl+S sends (Enter adds a line); "
    "Esc stops an answer; F1 lists every key."
)


class ChatScreen(Screen[None]):
    """Questions and streamed answers with their sources."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", "Send", tooltip="Send the question (Enter adds a line)"),
        Binding(
            "ctrl+enter", "send", "Send", show=False, tooltip="Send (where the terminal reports it)"
        ),
        Binding("escape", "stop", "Stop", tooltip="Stop the running answer; keep what streamed"),
        Binding("ctrl+n", "new_session", "New", tooltip="Start a new session"),
        Binding(
            "ctrl+o", "sessions", "Sessions", tooltip="Sessions: search, resume, rename, delete"
        ),
        Binding(
            "ctrl+up", "scroll_conversation(-1)", "Up", show=False, tooltip="Scroll the chat up"
        ),
        Binding(
            "ctrl+down",
            "scroll_conversation(1)",
            "Down",
            show=False,
            tooltip="Scroll the chat down",
        ),
        Binding("f2", "rename", "Rename", show=False, tooltip="Rename the current session"),
        Binding("f3", "export", "Export", show=False, tooltip="Export the session (.md or .json)"),
        Binding("f8", "delete_session", "Delete", show=False, tooltip="Delete the current session"),
        *(
            Binding(str(n), f"open_citation({n})", f"Open source [{n}]", show=False)
            for n in range(1, 10)
        ),
    ]

    def __init__(self) -> None:
        super().__init__(id="chat")
        self.history: list[Turn] = []
        self.cancel: threading.Event | None = None
        self.running_box: AnswerBox | None = None
        self._boxes = 0

    @property
    def chat_app(self) -> ChatApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="❝")
        with Conversation(id="conversation"):
            yield Static(WELCOME, id="welcome")
        with Horizontal(id="status-bar"):
            yield Static("", id="status")
            yield Static("", id="session-title")
        yield TextArea(id="question", soft_wrap=True, show_line_numbers=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#question", TextArea).focus()
        self.show_session_title()
        self.chat_app.start()

    def on_unmount(self) -> None:
        """Quitting stops a running answer so its thread ends promptly."""
        if self.cancel is not None:
            self.cancel.set()

    # -- state shown to the user ----------------------------------------------------------

    def set_status(self, text: str) -> None:
        self.query_one("#status", Static).update(text)

    def ready_status(self) -> str:
        assistant = self.chat_app.assistant
        if assistant is None:
            return self.chat_app.load_state
        return f"ready · {self.chat_app.index_summary()}"

    def show_session_title(self) -> None:
        session = self.chat_app.session
        title = (session.title or "untitled session") if session else "new session"
        self.query_one("#session-title", Static).update(title)

    @property
    def answering(self) -> bool:
        return self.running_box is not None

    # -- sending and stopping ----------------------------------------------------------------

    def action_send(self) -> None:
        box = self.query_one("#question", TextArea)
        question = box.text.strip()
        app = self.chat_app
        if not question:
            self.notify("Type a question first; Ctrl+S sends it.", severity="warning")
            return
        if self.answering:
            self.notify("An answer is still running; Esc stops it.", severity="warning")
            return
        if app.assistant is None:
            self.notify(f"Not ready yet: {app.load_state}", severity="warning", markup=False)
            return
        try:
            clean_question(question, app.settings.answer.max_question_chars)
        except InputError as err:
            self.notify(str(err), title="Cannot send", severity="warning", markup=False)
            return
        box.clear()
        self.ask(question)

    def ask(self, question: str) -> None:
        """Show the question, start an answer box, and stream into it from a worker."""
        app = self.chat_app
        assert app.assistant is not None
        conversation = self.query_one(Conversation)
        self._remove_welcome()
        answer_box = self._new_answer_box(live=True)
        conversation.mount(QuestionBox(question))
        conversation.mount(answer_box)
        conversation.scroll_end(animate=False)
        self.running_box = answer_box
        self.cancel = threading.Event()
        self.set_status("retrieving… (Esc stops)")
        session_id = app.session.id if app.session else None
        assistant, store, cancel = app.assistant, app.store, self.cancel
        history = list(self.history)
        self.run_worker(
            lambda: self._stream(
                assistant, store, session_id, answer_box.id or "", question, history, cancel
            ),
            name="answer",
            group="answer",
            thread=True,
            exclusive=True,
            exit_on_error=False,
        )

    def action_stop(self) -> None:
        if self.cancel is not None and self.answering:
            self.cancel.set()
            self.set_status("stopping…")

    def _stream(
        self,
        assistant: Assistant,
        store: SessionStore,
        session_id: str | None,
        box_id: str,
        question: str,
        history: Sequence[Turn],
        cancel: threading.Event,
    ) -> None:
        """Runs in a thread: save the question, stream the answer, save the answer."""
        post = self.post_message
        turn: int | None = None
        try:
            if session_id is None:
                session_id = store.create().id
            turn = store.add_user_message(session_id, question)
            post(msg.QuestionSaved(session_id))
        except AssistantError as err:
            post(msg.StoreProblem(f"{err} — this exchange is not being saved"))
        try:
            for event in assistant.stream(question, history, cancel=cancel):
                if isinstance(event, Retrieved):
                    post(msg.AnswerRetrieved(box_id, len(event.hits)))
                elif isinstance(event, TextDelta):
                    post(msg.AnswerText(box_id, event.text))
                elif isinstance(event, CitationAdded):
                    post(msg.AnswerCitation(box_id, event.citation))
                elif isinstance(event, Done):
                    if session_id is not None and turn is not None:
                        try:
                            store.complete(session_id, turn, event.answer)
                        except AssistantError as err:
                            post(msg.StoreProblem(f"{err} — this answer was not saved"))
                    post(msg.AnswerDone(box_id, event.answer))
                    return
                elif isinstance(event, Failed):
                    post(msg.AnswerFailed(box_id, event.message, event.kind))
                    return
            post(msg.AnswerFailed(box_id, "the answer ended without a result", "error"))
        except Exception as err:  # a fault in a component must not take the app down
            post(msg.AnswerFailed(box_id, f"unexpected error: {err}", "error"))

    # -- messages from the worker --------------------------------------------------------------

    def _box(self, box_id: str) -> AnswerBox | None:
        found = self.query(f"#{box_id}")
        box = found.first() if found else None
        return box if isinstance(box, AnswerBox) else None

    def on_question_saved(self, message: msg.QuestionSaved) -> None:
        self.chat_app.set_session(message.session_id)

    def on_answer_retrieved(self, message: msg.AnswerRetrieved) -> None:
        box = self._box(message.box_id)
        if box is not None:
            box.set_state(f"answering from {message.passages} passages…")
            self.set_status("answering… (Esc stops)")

    def on_answer_text(self, message: msg.AnswerText) -> None:
        box = self._box(message.box_id)
        if box is not None:
            box.append_text(message.text)
            self._follow()

    def on_answer_citation(self, message: msg.AnswerCitation) -> None:
        box = self._box(message.box_id)
        if box is not None:
            box.add_citation(message.citation)
            self._follow()

    def on_answer_done(self, message: msg.AnswerDone) -> None:
        box = self._box(message.box_id)
        answer = message.answer
        if box is not None:
            box.finish(answer)
        self.history.append(
            Turn(answer.question, answer.text, answer.standalone_question or answer.question)
        )
        self._end_answer()
        self.chat_app.refresh_session()
        if box is not None:
            self.call_after_refresh(self._show_answer, box)
        if answer.stopped:
            self.notify("Stopped; the partial answer is kept and saved as stopped.")

    def on_answer_failed(self, message: msg.AnswerFailed) -> None:
        box = self._box(message.box_id)
        if box is not None:
            box.fail(message.message)
        self._end_answer()
        self.notify(
            f"{message.message.rstrip('.')}{'' if message.message[-1:] in '?!' else '.'} "
            f"{advice(message.kind)}",
            title="Could not answer",
            severity="error",
            timeout=12,
            markup=False,
        )

    def on_store_problem(self, message: msg.StoreProblem) -> None:
        self.notify(message.message, title="Sessions store", severity="warning", markup=False)

    def _end_answer(self) -> None:
        self.running_box = None
        self.cancel = None
        self.set_status(self.ready_status())

    def action_scroll_conversation(self, direction: int) -> None:
        conversation = self.query_one(Conversation)
        step = max(1, conversation.scrollable_content_region.height // 2)
        conversation.scroll_relative(y=direction * step, animate=False)

    def _show_answer(self, box: AnswerBox) -> None:
        """A finished answer taller than the view is shown from its question down."""
        conversation = self.query_one(Conversation)
        children = list(conversation.children)
        at = children.index(box) if box in children else 0
        if box.outer_size.height < conversation.scrollable_content_region.height or at == 0:
            conversation.scroll_end(animate=False)
        else:
            conversation.scroll_to_widget(children[at - 1], top=True, animate=False)

    def _follow(self) -> None:
        conversation = self.query_one(Conversation)
        if conversation.max_scroll_y - conversation.scroll_y <= 3 or self.answering:
            conversation.scroll_end(animate=False)

    # -- sources ------------------------------------------------------------------------------

    def on_source_item_selected(self, message: SourceItem.Selected) -> None:
        self.chat_app.open_citation(message.citation)

    def action_open_citation(self, n: int) -> None:
        citation = self._citation(n)
        if citation is None:
            self.notify(f"No source [{n}] in this answer.", severity="warning")
            return
        self.chat_app.open_citation(citation)

    def _citation(self, n: int) -> Citation | None:
        """Citation n of the answer holding the focus, else of the latest answer with sources."""
        box: AnswerBox | None = None
        if self.focused is not None:
            box = next(
                (a for a in self.focused.ancestors_with_self if isinstance(a, AnswerBox)), None
            )
        if box is None:
            with_sources = [b for b in self.query_one(Conversation).answers() if b.citations]
            box = with_sources[-1] if with_sources else None
        if box is None:
            return None
        return next((c for c in box.citations if c.n == n), None)

    # -- sessions -------------------------------------------------------------------------------

    def show_conversation(self, stored: Sequence[StoredMessage], history: list[Turn]) -> None:
        """Replace the conversation with a stored session's messages."""
        conversation = self.query_one(Conversation)
        conversation.remove_children()
        self.history = history
        questions = {m.turn: m for m in stored if m.role == "user"}
        answers = {m.turn: m for m in stored if m.role == "assistant"}
        widgets: list[Static | AnswerBox] = []
        for turn in sorted(set(questions) | set(answers)):
            if turn in questions:
                widgets.append(QuestionBox(questions[turn].content))
            stored_answer = answers.get(turn)
            widgets.append(self._new_answer_box(stored_answer.answer if stored_answer else None))
        if not widgets:
            widgets.append(Static(WELCOME, id="welcome"))
        conversation.mount_all(widgets)
        conversation.call_after_refresh(conversation.scroll_end, animate=False)
        self.show_session_title()
        self.set_status(self.ready_status())

    def _new_answer_box(self, stored: Answer | None = None, *, live: bool = False) -> AnswerBox:
        self._boxes += 1
        return AnswerBox(f"answer-{self._boxes}", stored, live=live)

    def _remove_welcome(self) -> None:
        for welcome in self.query("#welcome"):
            welcome.remove()

    def action_new_session(self) -> None:
        if self._busy("start a new session"):
            return
        self.chat_app.new_session()

    def action_sessions(self) -> None:
        if self._busy("switch sessions"):
            return
        self.chat_app.action_sessions()

    def action_rename(self) -> None:
        self.chat_app.action_rename_session()

    def action_export(self) -> None:
        self.chat_app.action_export_prompt()

    def action_delete_session(self) -> None:
        if self._busy("delete the session"):
            return
        self.chat_app.action_delete_session()

    def _busy(self, what: str) -> bool:
        if self.answering:
            self.notify(f"An answer is running; press Esc to stop it, then {what}.")
        return self.answering


def advice(kind: str) -> str:
    """What the user can do about a failed answer, by the error's kind."""
    return {
        "endpoint": "Check that the model endpoint is running (assistant config), or switch "
        "to the offline extractive backend: assistant chat --backend extractive.",
        "index": "Build the index with `assistant ingest`, then restart the chat.",
        "model-mismatch": "Rebuild the index: assistant ingest --rebuild.",
        "busy": "Another process holds the store; try again in a moment.",
        "input": "Rephrase the question and send it again.",
    }.get(kind, "The app is still running; try again or check the logs.")
