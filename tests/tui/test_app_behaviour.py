"""App-wide behaviour: ctrl+c, the startup store check, the saved theme, the palette, and
questions queued while the index loads or fails to."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

from textual.widgets import Static, TextArea

from assistant.errors import IndexMissingError
from assistant.sessions.store import SessionStore
from assistant.settings import Settings
from tests.tui.conftest import SUMMIT_QUESTION, ScriptedAnswerer, fake_assistant
from tests.tui.helpers import settle, type_text, wait_until
from tui.app import ChatApp, make_app
from tui.widgets.conversation import AnswerBox


async def test_ctrl_c_stops_the_answer_and_twice_quits(
    settings: Settings, store: SessionStore
) -> None:
    gate = threading.Event()
    app = make_app(
        assistant=fake_assistant(settings, ScriptedAnswerer(gate=gate)),
        store=store,
        settings=settings,
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await type_text(pilot, SUMMIT_QUESTION)
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(app.chat.running_box and app.chat.running_box.text))
        await pilot.press("ctrl+c")
        gate.set()
        await settle(pilot, app)
        box = app.chat.query_one(AnswerBox)
        assert box.answer is not None and box.answer.stopped
        assert app.is_running
        assert app.active_bindings["ctrl+q"].binding.show  # quitting is in the footer
        app._last_interrupt = -10.0  # the next ctrl+c starts a new window
        await pilot.press("ctrl+c")
        assert app.is_running and any("again to quit" in n.message for n in app._notifications)
        await pilot.press("ctrl+c")
        await wait_until(pilot, lambda: not app.is_running)


async def test_a_corrupt_sessions_database_is_one_line_at_startup(
    settings: Settings, tmp_path: Path
) -> None:
    bad = tmp_path / "sessions.sqlite3"
    bad.write_bytes(b"not a database" * 200)
    app = make_app(assistant=fake_assistant(settings), store=SessionStore(bad), settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        (note,) = [n for n in app._notifications if n.severity == "error"]
        assert "\n" not in note.message
        assert "not a readable SQLite database" in note.message and "move it aside" in note.message
        assert "not saved" in str(app.chat.query_one("#status", Static).render())
        await pilot.press("f3")  # says what is wrong, not "nothing to export yet"
        assert "not a readable SQLite database" in list(app._notifications)[-1].message


async def test_the_theme_is_remembered_across_restarts(
    settings: Settings, store: SessionStore
) -> None:
    app = make_app(assistant=fake_assistant(settings), store=store, settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.theme == "textual-dark"
        await pilot.press("ctrl+t")
        await pilot.pause()
    again = make_app(assistant=fake_assistant(settings), store=store, settings=settings)
    assert again.theme == "textual-light"
    forced = make_app(
        assistant=fake_assistant(settings), store=store, settings=settings, theme="dark"
    )
    assert forced.theme == "textual-dark"


async def test_palette_titles_are_unique_and_screenshot_says_where(app: ChatApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        titles = Counter(c.title for c in app.get_system_commands(app.screen) if c.discover)
        assert titles["Keys"] == 1 and titles["Screenshot"] == 1
        assert [t for t, n in titles.items() if n > 1] == []
        (shot,) = [c for c in app.get_system_commands(app.screen) if c.title == "Screenshot"]
        shot.callback()
        await pilot.pause()
        (saved,) = app.export_dir.glob("screenshot-*.svg")
        assert str(saved) in list(app._notifications)[-1].message
        app.export_dir = app.export_dir / "missing"
        shot = next(c for c in app.get_system_commands(app.screen) if c.title == "Screenshot")
        shot.callback()
        await pilot.pause()
        assert "does not exist" in list(app._notifications)[-1].message


async def test_questions_queued_while_loading_come_back_when_loading_fails(
    settings: Settings, store: SessionStore
) -> None:
    release = threading.Event()

    def factory(on_status):
        release.wait(30)
        raise IndexMissingError("no index — run `assistant ingest` first")

    app = make_app(assistant_factory=factory, store=store, settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await type_text(pilot, "Hello?")
        await pilot.press("enter")
        assert "queued" in app.chat.query_one(AnswerBox).state
        release.set()
        await wait_until(pilot, lambda: bool(app.load_error))
        await pilot.pause()
        assert app.chat.query_one("#question", TextArea).text == "Hello?"
        assert "could not be loaded" in str(
            app.chat.query_one(AnswerBox).query_one(".answer-text").render()
        )
        assert not app.chat.queue


async def test_escape_takes_back_a_queued_question(settings: Settings, store: SessionStore) -> None:
    release = threading.Event()

    def factory(on_status):
        release.wait(30)
        return fake_assistant(settings)

    app = make_app(assistant_factory=factory, store=store, settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await type_text(pilot, "Hello?")
        await pilot.press("enter")
        await pilot.press("escape")
        assert not app.chat.queue
        assert app.chat.query_one("#question", TextArea).text == "Hello?"
        release.set()
        await wait_until(pilot, lambda: app.assistant is not None)
        await pilot.pause()
        assert "ready" in str(app.chat.query_one("#status", Static).render())
