"""Pilot helpers: type like a person, send with Enter, and wait on the app's state."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import TextArea

from tui.app import ChatApp

_KEYS = {" ": "space", "?": "question_mark", "’": "’", "-": "minus", ".": "full_stop"}


async def type_text(pilot: Pilot[None], text: str) -> None:
    await pilot.press(*(_KEYS.get(ch, ch) for ch in text))


def idle(app: ChatApp) -> bool:
    """No answer runs or waits, and no answering worker is left."""
    return not app.chat.busy and not any(
        w.name == "answer" and not w.is_finished for w in app.workers
    )


async def settle(pilot: Pilot[None], app: ChatApp, attempts: int = 3000) -> None:
    """Wait (on state, not on a clock) until the app is idle and has drawn what it got."""
    for _ in range(attempts):
        await pilot.pause()
        if idle(app):
            break
        running = [w for w in app.workers if w.name == "answer" and not w.is_finished]
        if running:
            await app.workers.wait_for_complete(running)
    assert idle(app), "the answer did not finish"
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


async def ask(pilot: Pilot[None], app: ChatApp, question: str, typed: bool = False) -> None:
    """Send ``question`` with Enter: typed key by key, or (faster) put into the question box."""
    if typed:
        await type_text(pilot, question)
    else:
        app.chat.query_one("#question", TextArea).insert(question)
    await pilot.press("enter")
    await settle(pilot, app)


async def wait_until(
    pilot: Pilot[None], condition: Callable[[], bool], attempts: int = 3000
) -> None:
    """Let the app process messages until ``condition`` holds (state, never a fixed sleep)."""
    for _ in range(attempts):
        if condition():
            return
        await pilot.pause()
        await asyncio.sleep(0.005)
    app = pilot.app
    raise AssertionError(
        f"the app never reached the expected state (screen {app.screen!r}, "
        f"focused {app.focused!r})"
    )
