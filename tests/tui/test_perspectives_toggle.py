"""The chat app's who-says-what toggle (command palette): later answers list one block per
outlet, each naming its date and the markers of its own quotes."""

from __future__ import annotations

from pathlib import Path

from assistant.sessions.store import SessionStore
from assistant.settings import Settings
from tests.tui.helpers import ask, type_text
from tui.app import make_app
from tui.widgets.conversation import AnswerBox, SourceItem


async def test_toggle_adds_one_block_per_outlet(settings: Settings, store: SessionStore) -> None:
    from assistant.answer.extractive import ExtractiveAnswerer
    from assistant.answer.service import Assistant
    from assistant.retrieval.memory import MemoryIndex
    from tests.conftest import SEEDS

    index = MemoryIndex.from_paths([Path(SEEDS)], settings)
    assistant = Assistant(
        settings, retriever=index, source=index, answerer=ExtractiveAnswerer(settings)
    )
    app = make_app(assistant=assistant, store=store, settings=settings)
    question = "How did each side describe the state of China-US relations?"
    async with app.run_test(size=(120, 40)) as pilot:
        await ask(pilot, app, question)
        before = str(app.chat.query(AnswerBox).last().query_one(".answer-text").render())
        assert "■ " not in before
        await pilot.press("ctrl+p")
        await type_text(pilot, "Toggle who says what")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert assistant.perspectives
        await ask(pilot, app, question)
        box = app.chat.query(AnswerBox).last()
        shown = str(box.query_one(".answer-text").render())
        assert "■ Global Times — " in shown and '■ unknown outlet ("' in shown
        assert "Who says what: " in shown
        markers = {item.citation.n for item in box.query(SourceItem)}
        assert all(f"[{n}]" in shown for n in markers)
