"""SVG snapshots of the main screens. Update with: pytest tests/tui --snapshot-update

Each snapshot waits on the app's state (no answer running or queued, the answering worker
finished, animations done) and stops the cursor blinking, so a loaded machine draws the
same screen as an idle one.
"""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from assistant.sessions.store import SessionStore
from assistant.settings import Settings
from tests.tui.conftest import SUMMIT_QUESTION, fake_assistant
from tests.tui.helpers import ask, settle
from tui.app import ChatApp, make_app
from tui.widgets.conversation import SourceItem

SIZE = (80, 24)
WIDE = (200, 50)


def snapshot_app(settings: Settings, store: SessionStore, tmp_path: Path) -> ChatApp:
    return make_app(
        assistant=fake_assistant(settings), store=store, settings=settings, export_dir=tmp_path
    )


async def _steady(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, ChatApp)
    app.chat.question_box().cursor_blink = False
    await settle(pilot, app)


async def _answered(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, ChatApp)
    await _steady(pilot)
    await ask(pilot, app, SUMMIT_QUESTION)
    await _steady(pilot)


def test_chat_with_an_answer(snap_compare, settings, store, tmp_path) -> None:
    """80x24: the whole short answer, its quote and both sources fit on one screen."""
    assert snap_compare(
        snapshot_app(settings, store, tmp_path), terminal_size=SIZE, run_before=_answered
    )


def test_chat_with_an_answer_wide(snap_compare, settings, store, tmp_path) -> None:
    """200x50: the text is capped near 100 columns and centred."""
    assert snap_compare(
        snapshot_app(settings, store, tmp_path), terminal_size=WIDE, run_before=_answered
    )


def test_chat_empty(snap_compare, settings, store, tmp_path) -> None:
    assert snap_compare(
        snapshot_app(settings, store, tmp_path), terminal_size=SIZE, run_before=_steady
    )


def test_source_viewer(snap_compare, settings, store, tmp_path) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await _answered(pilot)
        await pilot.click(SourceItem)
        await pilot.pause()

    assert snap_compare(
        snapshot_app(settings, store, tmp_path), terminal_size=SIZE, run_before=run_before
    )


def test_sessions_list(snap_compare, settings, store, tmp_path) -> None:
    from assistant.types import Answer

    for question in ("Who met John Kerry by video link?", "What did Ned Price say?"):
        session = store.create()
        store.add_exchange(session.id, question, Answer(question=question, text="…"))

    async def run_before(pilot: Pilot[None]) -> None:
        await _answered(pilot)
        await pilot.press("ctrl+o")
        await pilot.pause()

    assert snap_compare(
        snapshot_app(settings, store, tmp_path), terminal_size=SIZE, run_before=run_before
    )


def test_help(snap_compare, settings, store, tmp_path) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await _steady(pilot)
        await pilot.press("f1")

    assert snap_compare(
        snapshot_app(settings, store, tmp_path), terminal_size=SIZE, run_before=run_before
    )


def test_chat_light_theme(snap_compare, settings, store, tmp_path) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await _answered(pilot)
        await pilot.press("ctrl+t")

    assert snap_compare(
        snapshot_app(settings, store, tmp_path), terminal_size=SIZE, run_before=run_before
    )
