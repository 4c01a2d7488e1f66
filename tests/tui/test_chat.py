"""The chat screen: streamed answers with citations, the source viewer, stop, errors."""

from __future__ import annotations

import io
import threading

from rich.console import Console
from textual.widgets import Static, TextArea

from assistant.errors import EndpointError
from assistant.sessions.store import SessionStore, default_title
from assistant.settings import Settings
from tests.tui.conftest import (
    SUMMIT_ID,
    SUMMIT_QUESTION,
    SUMMIT_QUOTE,
    ScriptedAnswerer,
    fake_assistant,
)
from tests.tui.helpers import ask, settle, type_text
from tui.app import ChatApp, make_app
from tui.screens.source import SourceScreen
from tui.widgets.conversation import AnswerBox, QuestionBox, SourceItem


def answer_text(box: AnswerBox) -> str:
    return str(box.query_one(".answer-text", Static).render())


async def test_ask_streams_answer_with_citations(app: ChatApp, store: SessionStore) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(pilot, app, SUMMIT_QUESTION, typed=True)
        assert [str(q.render()) for q in app.chat.query(QuestionBox)] == [SUMMIT_QUESTION]
        box = app.chat.query_one(AnswerBox)
        assert answer_text(box) == "The summit will be held in Xi’an, in May [1]."
        (item,) = box.query(SourceItem)
        rendered = app.export_screenshot()
        assert item.citation.quote == SUMMIT_QUOTE and "Test&#160;Outlet" in rendered
        assert app.chat.query_one("#question", TextArea).text == ""
        assert "ready" in str(app.chat.query_one("#status", Static).render())
        # Both messages were committed, the answer with its citation offsets.
        (session,) = store.list()
        assert session.title == default_title(SUMMIT_QUESTION)
        messages = store.messages(session.id)
        assert [m.role for m in messages] == ["user", "assistant"]
        assert messages[1].answer is not None
        assert messages[1].answer.citations[0].quote == SUMMIT_QUOTE
        assert app.sub_title == "scripted · fake-1"
        status = str(app.chat.query_one("#status", Static).render())
        assert status == "ready · 5 articles, 61 chunks"


async def test_enter_adds_a_line_and_send_keeps_both(app: ChatApp, answerer) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await type_text(pilot, "Where is")
        await pilot.press("enter")
        await type_text(pilot, "the summit?")
        assert app.chat.query_one("#question", TextArea).text == "Where is\nthe summit?"
        assert not app.chat.query(AnswerBox)
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert answerer.calls == ["Where is the summit?"]


async def test_open_citation_by_click_and_key_shows_highlighted_quote(app: ChatApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(pilot, app, SUMMIT_QUESTION)
        await pilot.click(SourceItem)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SourceScreen)
        assert screen.citation.article_id == SUMMIT_ID
        marked = list(screen.query(".quote"))
        assert len(marked) == 1
        line = marked[0].content
        spans = [s for s in line.spans if "reverse" in str(s.style)]  # type: ignore[attr-defined]
        assert [str(line)[s.start : s.end] for s in spans] == [SUMMIT_QUOTE]  # type: ignore[attr-defined]
        body = screen.query_one("#source-body")
        assert body.scroll_y > 0  # scrolled down to the quote
        assert marked[0].region.y >= body.region.y  # and it is in view
        await pilot.press("c")
        assert SUMMIT_QUOTE in app.clipboard and "Test Outlet" in app.clipboard
        assert any("Copied" in n.message for n in app._notifications)
        await pilot.press("escape")
        assert not isinstance(app.screen, SourceScreen)
        # Keyboard: leave the question box, then the citation's number.
        await pilot.press("shift+tab")
        await pilot.press("1")
        assert isinstance(app.screen, SourceScreen)
        await pilot.press("q")
        # Tab to the source and Enter.
        app.chat.query_one(SourceItem).focus()
        await pilot.press("enter")
        assert isinstance(app.screen, SourceScreen)


async def test_escape_stops_a_running_answer(settings: Settings, store: SessionStore) -> None:
    gate = threading.Event()
    answerer = ScriptedAnswerer(gate=gate)
    app = make_app(assistant=fake_assistant(settings, answerer), store=store, settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await type_text(pilot, SUMMIT_QUESTION)
        await pilot.press("ctrl+s")
        for _ in range(200):
            await pilot.pause(0.01)
            if app.chat.running_box is not None and app.chat.running_box.text:
                break
        assert app.chat.answering
        assert "Esc stops" in str(app.chat.query_one("#status", Static).render())
        await pilot.press("escape")
        gate.set()
        await settle(pilot, app)
        box = app.chat.query_one(AnswerBox)
        # Stopping takes effect between events: the piece in flight still arrives.
        assert answer_text(box) == "The summit will be held in Xi’an, [stopped]"
        (session,) = store.list()
        saved = store.messages(session.id)[1].answer
        assert (
            saved is not None
            and saved.stopped
            and saved.text == "The summit will be held in Xi’an, "
        )
        assert not app.chat.answering


async def test_failed_answer_is_a_notification_and_the_app_goes_on(
    settings: Settings, store: SessionStore
) -> None:
    answerer = ScriptedAnswerer(error=EndpointError("the model endpoint at 127.0.0.1:9 refused"))
    app = make_app(assistant=fake_assistant(settings, answerer), store=store, settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(pilot, app, "Anything?")
        (note,) = [n for n in app._notifications if n.severity == "error"]
        assert "refused" in note.message and "extractive" in note.message
        assert "⚠" in answer_text(app.chat.query_one(AnswerBox))
        assert app.is_running
        answerer.error = None
        await ask(pilot, app, SUMMIT_QUESTION)
        assert "Xi’an" in answer_text(app.chat.query(AnswerBox).last())
        # The failed question was kept; only the answered turn is history.
        (session,) = store.list()
        assert [t.question for t in store.history(session.id)] == [SUMMIT_QUESTION]


async def test_index_loads_in_a_worker_with_a_visible_state(
    settings: Settings, store: SessionStore
) -> None:
    release = threading.Event()

    def factory(on_status):
        on_status("ingesting seeds (3/5)")
        release.wait(10)
        return fake_assistant(settings)

    app = make_app(assistant_factory=factory, store=store, settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.05)
        status = app.chat.query_one("#status", Static)
        assert "loading index" in str(status.render())
        await type_text(pilot, "Hello?")
        await pilot.press("ctrl+s")
        assert any("Not ready yet" in n.message for n in app._notifications)
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert str(status.render()).startswith("ready")
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.chat.query(AnswerBox)


async def test_load_error_is_a_notification(settings: Settings, store: SessionStore) -> None:
    from assistant.errors import IndexMissingError

    def factory(on_status):
        raise IndexMissingError("no index in /tmp/x — run `assistant ingest` first")

    app = make_app(assistant_factory=factory, store=store, settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        (note,) = app._notifications
        assert "assistant ingest" in note.message and note.severity == "error"
        assert "no index" in str(app.chat.query_one("#status", Static).render())
        assert app.is_running


async def test_help_theme_and_palette_commands(app: ChatApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f1")
        console = Console(width=100, record=True, file=io.StringIO())
        console.print(app.screen.query_one("#help-body Static", Static).content)
        text = console.export_text()
        for key in ("ctrl+s", "esc", "ctrl+n", "ctrl+o", "f2", "f3", "f8", "ctrl+t", "ctrl+p"):
            assert key in text, key
        assert "Copy the quote" in text and "Rename" in text and "Search titles" in text
        await pilot.press("escape")
        assert app.theme == "textual-dark"
        await pilot.press("ctrl+t")
        assert app.theme == "textual-light"
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"New session", "Sessions", "Export session to JSON", "Stop answer"} <= titles


async def test_real_extractive_answerer_over_the_memory_index(
    settings: Settings, store: SessionStore
) -> None:
    """The library's own answerer and retriever (in memory, no Chroma) behind the app."""
    from pathlib import Path

    from assistant.answer.extractive import ExtractiveAnswerer
    from assistant.answer.service import Assistant, IndexInfo
    from assistant.retrieval.memory import MemoryIndex
    from tests.conftest import SEEDS

    index = MemoryIndex.from_paths([Path(SEEDS)], settings)
    stats = index.stats()
    assistant = Assistant(
        settings,
        retriever=index,
        source=index,
        answerer=ExtractiveAnswerer(settings),
        info=IndexInfo(articles=stats["articles"], chunks=stats["chunks"]),
    )
    app = make_app(assistant=assistant, store=store, settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(pilot, app, SUMMIT_QUESTION)
        box = app.chat.query_one(AnswerBox)
        assert "Xi’an" in answer_text(box) and "[1]" in answer_text(box)
        await pilot.click(SourceItem)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SourceScreen)
        text = index.article_text(screen.citation.article_id) or ""
        assert text[screen.citation.start : screen.citation.end] == screen.citation.quote
        assert screen.query(".quote")


async def test_command_palette_runs_an_action(app: ChatApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(pilot, app, SUMMIT_QUESTION)
        assert app.session is not None
        await pilot.press("ctrl+p")
        await type_text(pilot, "Export session to JSON")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert (app.export_dir / f"session-{app.session.id}.json").exists()


async def test_a_question_over_the_limit_stays_in_the_box(app: ChatApp, settings) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        too_long = "x" * (settings.answer.max_question_chars + 1)
        app.chat.query_one("#question", TextArea).insert(too_long)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.chat.query_one("#question", TextArea).text == too_long
        assert not app.chat.query(AnswerBox)
        assert any("limit" in n.message for n in app._notifications)
