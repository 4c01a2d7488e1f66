"""Pilot helpers: type like a person, send, and wait for the answering worker."""

from __future__ import annotations

import asyncio

from textual.pilot import Pilot
from textual.widgets import TextArea

from tui.app import ChatApp

_KEYS = {" ": "space", "?": "question_mark", "’": "’", "-": "minus", ".": "full_stop"}


async def type_text(pilot: Pilot[None], text: str) -> None:
    await pilot.press(*(_KEYS.get(ch, ch) for ch in text))


async def settle(pilot: Pilot[None], app: ChatApp) -> None:
    """Wait until no answer is running and the UI has caught up with its messages."""
    for _ in range(500):
        await pilot.pause()
        if not app.chat.answering and not any(
            w.name == "answer" and not w.is_finished for w in app.workers
        ):
            break
        await asyncio.sleep(0.01)
    await pilot.pause()


async def ask(pilot: Pilot[None], app: ChatApp, question: str, typed: bool = False) -> None:
    """Send ``question``: typed key by key, or (faster) put into the question box."""
    if typed:
        await type_text(pilot, question)
    else:
        app.chat.query_one("#question", TextArea).insert(question)
    await pilot.press("ctrl+s")
    await settle(pilot, app)
