"""SVG snapshots of the main screens at 80x24. Update with: pytest tests/tui --snapshot-update"""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from assistant.sessions.store import SessionStore
from assistant.settings import Settings
from tests.tui.conftest import SUMMIT_QUESTION, fake_assistant
from tests.tui.helpers import ask
from tui.app import ChatApp, make_app
from tui.widgets.conversation import SourceItem

SIZE = (80, 24)


def snapshot_app(settings: Settings, store: SessionStore, tmp_path: Path) -> ChatApp:
    return make_app(
        assistant=fake_assistant(settings), store=store, settings=settings, export_dir=tmp_path
    )


async def _answered(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, ChatApp)
    await ask(pilot, app, SUMMIT_QUESTION)


def test_chat_with_an_answer(snap_compare, settings, store, tmp_path) -> None:
    assert snap_compare(
        snapshot_app(settings, store, tmp_path), terminal_size=SIZE, run_before=_answered
    )


def test_chat_empty(snap_compare, settings, store, tmp_path) -> None:
    assert snap_compare(snapshot_app(settings, store, tmp_path), terminal_size=SIZE)


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
    assert snap_compare(snapshot_app(settings, store, tmp_path), terminal_size=SIZE, press=["f1"])


def test_chat_light_theme(snap_compare, settings, store, tmp_path) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await _answered(pilot)
        await pilot.press("ctrl+t")

    assert snap_compare(
        snapshot_app(settings, store, tmp_path), terminal_size=SIZE, run_before=run_before
    )
