"""The chat screen: the conversation, the question box, a queue, and the answering worker.

Answers stream in from an exclusive thread worker that calls ``Assistant.stream`` and posts
the small messages of ``tui.messages``; the worker also commits each message as it completes.
A question sent while the index loads, or while another answer runs, waits in the queue.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static, TextArea

from assistant.answer.events import CitationAdded, Done, Failed, Retrieved, TextDelta
from assistant.answer.service import clean_question
from assistant.errors import AssistantError, InputError
from assistant.sessions.store import Message as StoredMessage
from assistant.types import Answer, Citation, Turn
from tui import messages as msg
from tui.widgets.conversation import AnswerBox, Conversation, QuestionBox, SourceOpened
from tui.widgets.question import QuestionInput

if TYPE_CHECKING:
    from assistant.answer.service import Assistant
    from assistant.sessions.store import SessionStore
    from tui.app import ChatApp

WELCOME = (
    "Ask a question about the news articles: type it and press Enter. "
    "alt+1…9 open the sources of the latest answer; F1 lists every key."
)


@dataclass
class Pending:
    """A question shown in the conversation, waiting for the index or for the running answer."""

    question: str
    box: AnswerBox


class ChatScreen(Screen[None]):
    """Questions and streamed answers with their sources."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+s", "send", "Send", key_display="⏎", tooltip="Send the question (Enter sends)"
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
            Binding(f"alt+{n}", f"open_citation({n})", f"Open source [{n}]", show=False)
            for n in range(1, 10)
        ),
    ]

    def __init__(self) -> None:
        super().__init__(id="chat")
        self.history: list[Turn] = []
        self.cancel: threading.Event | None = None
        self.running_box: AnswerBox | None = None
        self.running_question = ""
        self.queue: list[Pending] = []
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
        yield QuestionInput(id="question")
        yield Footer()

    def on_mount(self) -> None:
        self.question_box().focus()
        self.show_session_title()
        self.chat_app.start()

    def on_unmount(self) -> None:
        """Quitting stops a running answer so its thread ends promptly."""
        if self.cancel is not None:
            self.cancel.set()

    # -- focus: it always comes home to the question box ------------------------------------

    def question_box(self) -> QuestionInput:
        return self.query_one("#question", QuestionInput)

    def focus_box(self) -> None:
        if self.is_current:
            self.question_box().focus()

    def on_screen_resume(self) -> None:
        """Back from a source, dialog or list: the next key types the next question."""
        self.call_after_refresh(self.focus_box)

    def on_key(self, event: events.Key) -> None:
        """A printable key typed while a source or the conversation has the focus goes to the
        question box, as in web chats."""
        box = self.question_box()
        if box.has_focus or isinstance(self.focused, (Input, TextArea)):
            return
        if not event.is_printable or event.key.startswith(("alt+", "ctrl+")):
            return
        event.stop()
        event.prevent_default()
        box.focus()
        box.insert(event.character or "")

    # -- state shown to the user ----------------------------------------------------------

    def set_status(self, text: str) -> None:
        self.query_one("#status", Static).update(text)

    def ready_status(self) -> str:
        app = self.chat_app
        state = app.load_state if app.assistant is None else f"ready · {app.index_summary()}"
        if app.store_problem:
            state += " · sessions not saved (see the notification)"
        if self.queue:
            state += f" · {len(self.queue)} question{'s' if len(self.queue) > 1 else ''} queued"
        return state

    def show_session_title(self) -> None:
        session = self.chat_app.session
        title = (session.title or "untitled session") if session else "new session"
        self.query_one("#session-title", Static).update(title)

    @property
    def answering(self) -> bool:
        return self.running_box is not None

    @property
    def busy(self) -> bool:
        """An answer runs or questions wait: the session must not change under them."""
        return self.answering or bool(self.queue)

    # -- sending, queueing and stopping --------------------------------------------------------

    def on_question_input_submitted(self, message: QuestionInput.Submitted) -> None:
        message.stop()
        self.action_send()

    def action_send(self) -> None:
        box = self.question_box()
        question = box.text.strip()
        app = self.chat_app
        if not question:
            self.notify("Type a question first; Enter sends it.", severity="warning")
            return
        if app.load_error:
            self.notify(
                f"No index, so nothing can answer: {app.load_error}. "
                "Fix it, then run “Retry loading the index” (ctrl+p).",
                severity="warning",
                markup=False,
            )
            return
        try:
            clean_question(question, app.settings.answer.max_question_chars)
        except InputError as err:
            self.notify(str(err), title="Cannot send", severity="warning", markup=False)
            return
        box.clear()
        box.add_to_history(question)
        self.enqueue(question)

    def enqueue(self, question: str) -> None:
        """Show the question and its (empty) answer now; answer it when the app can."""
        conversation = self.query_one(Conversation)
        self._remove_welcome()
        answer_box = self._new_answer_box(live=True)
        conversation.mount(QuestionBox(question))
        conversation.mount(answer_box)
        conversation.scroll_end(animate=False)
        self.queue.append(Pending(question, answer_box))
        if not self.start_next():
            waiting = (
                "queued: answered as soon as the index is ready"
                if self.chat_app.assistant is None
                else "queued: answered after the running answer"
            )
            answer_box.set_state(waiting)
            self.set_status(self.ready_status())

    def start_next(self) -> bool:
        """Answer the oldest queued question if the assistant is ready and idle."""
        if self.answering or not self.queue or self.chat_app.assistant is None:
            return False
        pending = self.queue.pop(0)
        self.ask(pending.question, pending.box)
        return True

    def ask(self, question: str, answer_box: AnswerBox) -> None:
        """Stream the answer to ``question`` into ``answer_box`` from a worker."""
        app = self.chat_app
        assert app.assistant is not None
        answer_box.set_state("retrieving…")
        self.running_box = answer_box
        self.running_question = question
        self.cancel = threading.Event()
        self.set_status("retrieving… (Esc stops)")
        session_id = app.session.id if app.session else None
        assistant, store, cancel = app.assistant, app.store, self.cancel
        history = list(self.history)
        box_id = answer_box.id or ""
        self.run_worker(
            lambda: self._stream(assistant, store, session_id, box_id, question, history, cancel),
            name="answer",
            group="answer",
            thread=True,
            exit_on_error=False,
        )

    def stop_answer(self) -> bool:
        """Stop the running answer (if any); True if one was running."""
        if self.cancel is not None and self.answering:
            self.cancel.set()
            self.set_status("stopping…")
            return True
        return False

    def action_stop(self) -> None:
        """Esc: stop the running answer, or take back the questions still waiting."""
        if self.stop_answer():
            return
        if self.queue:
            self.cancel_queue("not sent: you cancelled it")

    def cancel_queue(self, reason: str) -> None:
        """Mark every waiting question unanswered; the first goes back into the box."""
        pending, self.queue = self.queue, []
        for item in pending:
            item.box.fail(reason)
        if pending:
            self._restore(pending[0].question)
        self.set_status(self.ready_status())

    def _restore(self, question: str) -> None:
        box = self.question_box()
        if not box.text.strip():
            box.load_text(question)
            box.move_cursor(box.document.end)
        self.focus_box()

    def assistant_ready(self) -> None:
        self.set_status(self.ready_status())
        self.start_next()

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
        """Runs in a thread: save the question, stream the answer, save the answer or failure."""
        post = self.post_message
        turn: int | None = None
        try:
            if session_id is None:
                session_id = store.create().id
            turn = store.add_user_message(session_id, question)
            post(msg.QuestionSaved(session_id))
        except AssistantError as err:
            post(msg.StoreProblem(f"{err} — this exchange is not being saved"))
        saved = (session_id, turn) if session_id is not None and turn is not None else None
        try:
            for event in assistant.stream(question, history, cancel=cancel):
                if isinstance(event, Retrieved):
                    post(msg.AnswerRetrieved(box_id, len(event.hits)))
                elif isinstance(event, TextDelta):
                    post(msg.AnswerText(box_id, event.text))
                elif isinstance(event, CitationAdded):
                    post(msg.AnswerCitation(box_id, event.citation))
                elif isinstance(event, Done):
                    self._record(store, saved, event.answer)
                    post(msg.AnswerDone(box_id, event.answer))
                    return
                elif isinstance(event, Failed):
                    self._record(store, saved, event.message)
                    post(msg.AnswerFailed(box_id, event.message, event.kind))
                    return
            message, kind = "the answer ended without a result", "error"
        except Exception as err:  # a fault in a component must not take the app down
            message, kind = f"unexpected error: {err}", "error"
        self._record(store, saved, message)
        post(msg.AnswerFailed(box_id, message, kind))

    def _record(
        self, store: SessionStore, saved: tuple[str, int] | None, outcome: Answer | str
    ) -> None:
        """Save the answer to the saved question, or (a string) why it failed."""
        if saved is None:
            return
        try:
            if isinstance(outcome, Answer):
                store.complete(*saved, outcome)
            else:
                store.fail(*saved, outcome)
        except AssistantError as err:
            self.post_message(msg.StoreProblem(f"{err} — this answer was not saved"))

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
        self.start_next()

    def on_answer_failed(self, message: msg.AnswerFailed) -> None:
        box = self._box(message.box_id)
        if box is not None:
            box.fail(message.message)
        question = self.running_question
        self._end_answer()
        self.chat_app.refresh_session()
        self._restore(question)
        self.notify(
            f"{message.message.rstrip('.')}{'' if message.message[-1:] in '?!' else '.'} "
            f"{advice(message.kind)} The question is back in the box: Enter sends it again.",
            title="Could not answer",
            severity="error",
            timeout=12,
            markup=False,
        )
        self.start_next()

    def on_store_problem(self, message: msg.StoreProblem) -> None:
        self.notify(message.message, title="Sessions store", severity="warning", markup=False)

    def _end_answer(self) -> None:
        self.running_box = None
        self.running_question = ""
        self.cancel = None
        self.set_status(self.ready_status())
        self.focus_box()

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

    def on_source_opened(self, message: SourceOpened) -> None:
        self.chat_app.open_citation(message.citation)

    def action_open_citation(self, n: int) -> None:
        citation = self.latest_citation(n)
        if citation is None:
            self.notify(f"The latest answer has no source [{n}].", severity="warning")
            return
        self.chat_app.open_citation(citation)

    def latest_citation(self, n: int) -> Citation | None:
        """Citation n of the latest finished answer: the one the user has just read."""
        finished = [b for b in self.query_one(Conversation).answers() if b.answer is not None]
        return finished[-1].citation(n) if finished else None

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
            reply = answers.get(turn)
            failure = reply.content if reply is not None and reply.answer is None else ""
            widgets.append(self._new_answer_box(reply.answer if reply else None, failure=failure))
        if not widgets:
            widgets.append(Static(WELCOME, id="welcome"))
        conversation.mount_all(widgets)
        conversation.call_after_refresh(conversation.scroll_end, animate=False)
        self.question_box().remember(questions[t].content for t in sorted(questions))
        self.show_session_title()
        self.set_status(self.ready_status())
        self.focus_box()

    def _new_answer_box(
        self, stored: Answer | None = None, *, live: bool = False, failure: str = ""
    ) -> AnswerBox:
        self._boxes += 1
        return AnswerBox(f"answer-{self._boxes}", stored, live=live, failure=failure)

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
        if self.busy:
            self.notify(f"An answer is running or queued; press Esc to stop it, then {what}.")
        return self.busy


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
