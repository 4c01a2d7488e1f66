"""The chat app and its one factory, ``make_app``, used by ``assistant chat`` and the tests.

The app owns what the screens share: the assistant (built in a worker, since the first run
ingests the seeds), the sessions store, the current session and the export directory.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Input, TextArea

from assistant.errors import AssistantError
from assistant.sessions.export import Format, default_filename, export_session, write_export
from assistant.sessions.store import Session, SessionStore
from assistant.settings import Settings, load_settings
from assistant.types import Citation
from tui import keys, prefs
from tui import messages as msg
from tui.screens.chat import ChatScreen
from tui.screens.dialogs import ConfirmModal, PromptModal
from tui.screens.help import HelpScreen
from tui.screens.sessions import SessionsScreen
from tui.screens.source import SourceScreen

if TYPE_CHECKING:
    from assistant.answer.service import Assistant

AssistantFactory = Callable[[Callable[[str], None]], "Assistant"]
"""Builds the assistant; receives a callback for one-line progress messages."""

DARK, LIGHT = "textual-dark", "textual-light"
QUIT_WINDOW_S = 1.0
"""A second ctrl+c within this many seconds quits."""


class ChatApp(App[None]):
    """Chat with the news assistant."""

    TITLE = "News assistant"
    CSS_PATH = "app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help", tooltip="This list of keys"),
        Binding("ctrl+t", "toggle_theme", "Theme", tooltip="Switch dark / light theme"),
        Binding("ctrl+q", "quit", "Quit", priority=True, tooltip="Quit (stops a running answer)"),
        Binding(
            "ctrl+c",
            "interrupt",
            "Stop / quit",
            show=False,
            priority=True,
            tooltip="Stop the running answer; twice within a second quits",
        ),
    ]

    def __init__(
        self,
        *,
        settings: Settings,
        store: SessionStore,
        assistant: Assistant | None,
        assistant_factory: AssistantFactory | None,
        session_id: str | None = None,
        export_dir: Path | None = None,
        theme: Literal["dark", "light"] | None = None,
    ) -> None:
        super().__init__()
        keys.install()
        self.settings = settings
        self.store = store
        self.assistant = assistant
        self.assistant_factory = assistant_factory
        self.session: Session | None = None
        self.initial_session = session_id
        self.export_dir = export_dir or Path.cwd()
        self.load_state = "loading index… (the first run ingests the seed articles)"
        self.load_error = ""
        self.store_problem = ""
        self._last_interrupt = -QUIT_WINDOW_S
        self.chat = ChatScreen()
        saved = prefs.load(settings.data_dir).get("theme")
        if theme is not None:
            self.theme = DARK if theme == "dark" else LIGHT
        elif isinstance(saved, str) and saved in self.available_themes:
            self.theme = saved
        else:
            self.theme = DARK

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, self._remember_theme)

    def get_default_screen(self) -> Screen:
        return self.chat

    def start(self) -> None:
        """Called once the chat screen is mounted: check the store, resume a session, build
        the assistant."""
        self.check_store()
        if self.initial_session:
            self.resume_session(self.initial_session)
        if self.assistant is None:
            self.chat.set_status(self.load_state)
            self.load_assistant()
        else:
            self._assistant_ready()

    # -- building the assistant ---------------------------------------------------------

    def load_assistant(self) -> None:
        """Build the assistant in a thread so the UI shows while the index loads."""
        factory = self.assistant_factory
        if factory is None:
            self.on_load_finished(msg.LoadFinished("no assistant was configured"))
            return

        def build() -> None:
            try:
                self.assistant = factory(self._post_load_status)
            except AssistantError as err:
                self.post_message(msg.LoadFinished(str(err)))
            except Exception as err:  # the app stays up and says what went wrong
                self.post_message(msg.LoadFinished(f"could not load the assistant: {err}"))
            else:
                self.post_message(msg.LoadFinished())

        self.load_state = "loading index… (the first run ingests the seed articles)"
        self.load_error = ""
        self.chat.set_status(self.chat.ready_status())
        self.run_worker(build, name="load", group="load", thread=True, exit_on_error=False)

    def _post_load_status(self, line: str) -> None:
        self.post_message(msg.LoadStatus(line))

    def on_load_status(self, message: msg.LoadStatus) -> None:
        self.load_state = f"loading index… {message.text}"
        self.chat.set_status(self.chat.ready_status())

    def on_load_finished(self, message: msg.LoadFinished) -> None:
        if message.error:
            self.load_error = message.error
            self.load_state = "no index — see the notification (ctrl+p: Retry loading)"
            self.chat.cancel_queue("not answered: the index could not be loaded")
            self.notify(
                f"{message.error}. Fix it, then run “Retry loading the index” from the "
                "command palette (ctrl+p).",
                title="Could not load the index",
                severity="error",
                timeout=30,
                markup=False,
            )
            return
        self._assistant_ready()

    def _assistant_ready(self) -> None:
        self.sub_title = self.backend_summary()
        self.chat.assistant_ready()

    def backend_summary(self) -> str:
        """The header's part: who answers, with which model."""
        a = self.assistant
        if a is None:
            return ""
        return f"{a.backend} · {a.model}" if a.model and a.model != a.backend else a.backend

    def index_summary(self) -> str:
        """The status line's part: how much is indexed."""
        a = self.assistant
        return f"{a.info.articles} articles, {a.info.chunks} chunks" if a else ""

    # -- sessions -----------------------------------------------------------------------------

    def check_store(self) -> None:
        """Say at startup, in one line, if the sessions database cannot be used and what to do."""
        try:
            self.store.list()
        except AssistantError as err:
            self.store_problem = f"{err}. Until then this chat is not saved."
            self.notify(
                self.store_problem,
                title="Sessions store",
                severity="error",
                timeout=20,
                markup=False,
            )
        else:
            self.store_problem = ""

    def set_session(self, session_id: str | None) -> None:
        """Make ``session_id`` current (None: a new session starts with the next question)."""
        try:
            self.session = self.store.get(session_id) if session_id else None
        except AssistantError as err:
            self._store_error(err)
        self.chat.show_session_title()

    def refresh_session(self) -> None:
        if self.session is not None:
            self.set_session(self.session.id)

    def new_session(self) -> None:
        self.session = None
        self.chat.show_conversation([], [])

    def resume_session(self, session_id: str) -> None:
        try:
            session = self.store.require(session_id)
            stored = self.store.messages(session.id)
            history = self.store.history(session.id)
        except AssistantError as err:
            self._store_error(err)
            return
        self.session = session
        self.chat.show_conversation(stored, history)

    def rename_session(self, session_id: str, title: str) -> None:
        try:
            self.store.rename(session_id, title)
        except AssistantError as err:
            self._store_error(err)
            return
        self.refresh_session()
        self.notify(f"Renamed to “{title.strip()}”.", markup=False)

    def delete_session(self, session_id: str) -> None:
        try:
            deleted = self.store.delete(session_id)
        except AssistantError as err:
            self._store_error(err)
            return
        if self.session is not None and self.session.id == deleted.id:
            self.new_session()
        self.notify(f"Deleted “{deleted.title or 'untitled session'}”.", markup=False)

    def export_session(self, session_id: str, formats: Iterable[Format]) -> list[Path]:
        """Write the session in each format to the export directory; notify the paths."""
        written: list[Path] = []
        try:
            for fmt in formats:
                session, text = export_session(self.store, session_id, fmt)
                written.append(self._write(self.export_dir / default_filename(session, fmt), text))
        except (AssistantError, OSError) as err:
            self.notify(f"Export failed: {err}", severity="error", markup=False)
            return written
        self.notify("Exported to " + ", ".join(str(p) for p in written), markup=False)
        return written

    def _write(self, path: Path, text: str) -> Path:
        """Write ``text`` to ``path`` (atomically, never into the data dir); a missing folder
        is an error, never created silently."""
        if not path.parent.is_dir():
            raise OSError(f"the folder {path.parent} does not exist; create it or pick another")
        write_export(path, text, data_dir=self.settings.data_dir, force=True)
        return path

    def _store_error(self, err: AssistantError) -> None:
        self.notify(str(err), title="Sessions store", severity="error", timeout=12, markup=False)

    # -- actions (keys and the command palette) ---------------------------------------------

    def action_sessions(self) -> None:
        def chosen(session_id: str | None) -> None:
            if session_id == "":
                self.new_session()
            elif session_id:
                self.resume_session(session_id)

        self.push_screen(SessionsScreen(), chosen)

    def action_rename_session(self) -> None:
        session = self.session
        if session is None:
            self.notify("Ask a question first: the session starts with it.", severity="warning")
            return

        def done(title: str | None) -> None:
            if title is not None and title.strip():
                self.rename_session(session.id, title)

        self.push_screen(PromptModal("Rename this session", session.title), done)

    def action_delete_session(self) -> None:
        session = self.session
        if session is None:
            self.notify("This session has not been saved yet.", severity="warning")
            return

        def done(confirmed: bool | None) -> None:
            if confirmed:
                self.delete_session(session.id)

        self.push_screen(ConfirmModal(f"Delete “{session.title}” and all its messages?"), done)

    def action_export_prompt(self) -> None:
        session = self.session
        if session is None:
            if self.store_problem:
                self.notify(self.store_problem, severity="error", markup=False)
            else:
                self.notify("Nothing to export yet: ask a question first.", severity="warning")
            return
        self.export_prompt(session)

    def export_prompt(self, session: Session) -> None:
        """Ask where to write ``session`` (the suffix picks Markdown or JSON), then write it."""

        def done(path: str | None) -> None:
            if path and path.strip():
                self.export_to(session.id, Path(path.strip()).expanduser())

        default = self.export_dir / default_filename(session, "md")
        hint = "Enter writes the file (a path ending in .json exports JSON) · Esc cancels"
        self.push_screen(PromptModal("Export this session to", str(default), hint), done)

    def export_to(self, session_id: str, path: Path) -> None:
        fmt: Format = "json" if path.suffix.lower() == ".json" else "md"
        try:
            _, text = export_session(self.store, session_id, fmt)
            self._write(path, text)
        except (AssistantError, OSError) as err:
            self.notify(f"Export failed: {err}", severity="error", markup=False)
            return
        self.notify(f"Exported to {path}", markup=False)

    def action_export(self, fmt: Format) -> None:
        if self.session is None:
            self.notify(
                self.store_problem or "Nothing to export yet: ask a question first.",
                severity="warning",
                markup=False,
            )
            return
        self.export_session(self.session.id, (fmt,))

    def open_citation(self, citation: Citation) -> None:
        source = self.assistant.source if self.assistant is not None else None
        if source is None:
            self.notify("The index is not loaded yet.", severity="warning")
            return
        try:
            article = source.article(citation.article_id)
            text = source.article_text(citation.article_id)
        except AssistantError as err:
            self.notify(str(err), severity="error", markup=False)
            return
        self.push_screen(SourceScreen(_located(citation, text), article, text))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.help_sections()))

    def help_sections(self) -> Mapping[str, Iterable[BindingType]]:
        return {
            "Chat": list(ChatScreen.BINDINGS),
            "Source viewer": list(SourceScreen.BINDINGS),
            "Sessions": list(SessionsScreen.BINDINGS),
            "Everywhere": list(self.BINDINGS),
        }

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT if self.theme == DARK else DARK

    def action_toggle_perspectives(self) -> None:
        """Who says what: later answers add each outlet's own quotes, one block per outlet."""
        if self.assistant is None:
            self.notify("The index is still loading.", severity="warning")
            return
        self.assistant.perspectives = not self.assistant.perspectives
        state = "on: one block per outlet" if self.assistant.perspectives else "off"
        self.notify(f"Who says what {state}")

    def _remember_theme(self, theme: object) -> None:
        prefs.save(self.settings.data_dir, theme=self.theme)

    def action_interrupt(self) -> None:
        """ctrl+c: copy a selection, else stop the running answer; twice in a second quits."""
        now = time.monotonic()
        focused = self.focused
        if isinstance(focused, TextArea | Input) and focused.selected_text:
            focused.action_copy()
            return
        if now - self._last_interrupt <= QUIT_WINDOW_S:
            self.chat.stop_answer()
            self.exit()
            return
        self._last_interrupt = now
        if self.chat.stop_answer():
            self.notify("Stopping the answer. Press ctrl+c again to quit.", timeout=3)
        else:
            self.notify("Press ctrl+c again to quit (or ctrl+q).", timeout=3)

    async def action_quit(self) -> None:
        self.chat.stop_answer()
        self.exit()

    def action_save_screenshot(self) -> None:
        """The palette's Screenshot: an SVG in the export folder, its path or the reason."""
        try:
            path = self._write(
                self.export_dir / f"screenshot-{time.strftime('%Y%m%d-%H%M%S')}.svg",
                self.export_screenshot(),
            )
        except (AssistantError, OSError) as err:
            self.notify(f"Screenshot failed: {err}", severity="error", markup=False)
            return
        self.notify(f"Screenshot saved to {path}", markup=False)

    def action_retry_load(self) -> None:
        if self.assistant is None:
            self.load_assistant()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's commands without its own Keys and Screenshot: ours replace them."""
        for command in super().get_system_commands(screen):
            if command.title not in ("Keys", "Screenshot"):
                yield command
        yield from self._commands()

    def _commands(self) -> Iterator[SystemCommand]:
        chat = self.chat
        commands: list[tuple[str, str, Callable[[], object]]] = [
            ("Send question", "Send the question box (ctrl+s)", chat.action_send),
            ("Stop answer", "Stop the running answer (esc)", chat.action_stop),
            ("New session", "Start a new conversation (ctrl+n)", chat.action_new_session),
            ("Sessions", "Search, resume, rename, delete (ctrl+o)", chat.action_sessions),
            ("Rename session", "Rename the current session (f2)", self.action_rename_session),
            ("Delete session", "Delete the current session (f8)", chat.action_delete_session),
            ("Export session…", "Export to a path you choose (f3)", self.action_export_prompt),
            (
                "Export session to Markdown",
                f"Writes {self.export_dir / 'session-<id>.md'}",
                lambda: self.action_export("md"),
            ),
            (
                "Export session to JSON",
                f"Writes {self.export_dir / 'session-<id>.json'}",
                lambda: self.action_export("json"),
            ),
            ("Toggle dark/light theme", "Switch themes (ctrl+t)", self.action_toggle_theme),
            (
                "Toggle who says what",
                "Each outlet's own verified quotes under the answers, one block per outlet",
                self.action_toggle_perspectives,
            ),
            ("Keys", "Every key binding (f1)", self.action_help),
            (
                "Screenshot",
                f"Save an SVG of the screen in {self.export_dir}",
                self.action_save_screenshot,
            ),
            ("Retry loading the index", "After fixing a load error", self.action_retry_load),
        ]
        for title, help_text, callback in commands:
            yield SystemCommand(title, help_text, callback)
        for n in range(1, 10):
            yield SystemCommand(
                f"Open source [{n}]",
                f"Open citation {n} of the latest answer (alt+{n})",
                partial(chat.action_open_citation, n),
                discover=False,
            )


def _located(citation: Citation, text: str | None) -> Citation:
    """The citation with offsets that point at its quote in ``text`` (if they drifted)."""
    if text is None or text[citation.start : citation.end] == citation.quote:
        return citation
    found = text.find(citation.quote)
    if found < 0:
        return citation
    from dataclasses import replace

    return replace(citation, start=found, end=found + len(citation.quote))


def make_app(
    *,
    assistant: Assistant | None = None,
    assistant_factory: AssistantFactory | None = None,
    store: SessionStore | None = None,
    settings: Settings | None = None,
    session_id: str | None = None,
    export_dir: Path | None = None,
    theme: Literal["dark", "light"] | None = None,
) -> ChatApp:
    """The chat app. Pass ``assistant`` (tests) or ``assistant_factory``; by default the
    assistant is built from ``settings`` in a worker once the UI shows."""
    settings = settings or load_settings()
    if assistant is None and assistant_factory is None:
        assistant_factory = _default_factory(settings)
    return ChatApp(
        settings=settings,
        store=store or SessionStore(settings.sessions_db),
        assistant=assistant,
        assistant_factory=assistant_factory,
        session_id=session_id,
        export_dir=export_dir,
        theme=theme,
    )


def _default_factory(settings: Settings) -> AssistantFactory:
    def build(on_status: Callable[[str], None]) -> Assistant:
        from assistant.answer.service import Assistant

        return Assistant.from_settings(settings, on_status=on_status)

    return build
