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
    ANSWER_TEXT,
    CONSENSUS_QUOTE,
    SUMMIT_ID,
    SUMMIT_QUESTION,
    SUMMIT_QUOTE,
    ScriptedAnswerer,
    fake_assistant,
)
from tests.tui.helpers import ask, settle, type_text, wait_until
from tui.app import ChatApp, make_app
from tui.screens.source import SourceScreen
from tui.widgets.conversation import AnswerBox, QuestionBox, SourceItem


def answer_text(box: AnswerBox) -> str:
    return str(box.query_one(".answer-text", Static).render())


def rendered(widget: Static) -> str:
    """What the widget draws, as plain text."""
    console = Console(width=widget.content_region.width or 100, record=True, file=io.StringIO())
    console.print(widget.render())
    return console.export_text().rstrip("\n")


async def test_ask_streams_answer_with_citations(app: ChatApp, store: SessionStore) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(pilot, app, SUMMIT_QUESTION, typed=True)
        assert [str(q.render()) for q in app.chat.query(QuestionBox)] == [SUMMIT_QUESTION]
        box = app.chat.query_one(AnswerBox)
        assert answer_text(box) == ANSWER_TEXT
        assert answer_text(box).startswith("Xi’an [1]")  # the short answer leads
        first, second = box.query(SourceItem)
        assert first.citation.quote == SUMMIT_QUOTE and second.citation.quote == CONSENSUS_QUOTE
        # One line per source; quote [1] stands in the text, so its line does not repeat it.
        line = rendered(first)
        assert line.startswith("[1] Test Outlet · US urged") and line.endswith(" · 2023-06-20")
        assert "\n" not in line and len(line) <= first.content_region.width
        assert SUMMIT_QUOTE not in rendered(first) and CONSENSUS_QUOTE not in rendered(second)
        assert rendered(second).endswith("▸ quote")
        second.focus()
        await pilot.press("right")  # the quote the text does not carry unfolds
        assert CONSENSUS_QUOTE in rendered(second) and "▾" in rendered(second)
        await pilot.press("left")
        assert CONSENSUS_QUOTE not in rendered(second)
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


async def test_enter_sends_and_newline_keys_add_lines(app: ChatApp, answerer) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        box = app.chat.query_one("#question", TextArea)
        assert "Enter sends" in str(box.placeholder) and "new line" in str(box.border_subtitle)
        await type_text(pilot, "Where")
        for key in ("ctrl+j", "alt+enter", "shift+enter"):
            await pilot.press(key)
        await type_text(pilot, "is the summit?")
        assert box.text == "Where\n\n\nis the summit?"
        assert not app.chat.query(AnswerBox)
        await pilot.press("enter")
        await settle(pilot, app)
        assert answerer.calls == ["Where is the summit?"]
        assert box.text == "" and box.has_focus
        await pilot.press("enter")  # an empty box sends nothing and says how to send
        assert answerer.calls == ["Where is the summit?"]
        assert any("Enter sends" in n.message for n in app._notifications)


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
        # In view, with what precedes it above it rather than hidden.
        assert body.region.y + 3 <= marked[0].region.y < body.region.bottom
        await pilot.press("c")
        assert SUMMIT_QUOTE in app.clipboard and "Test Outlet" in app.clipboard
        assert any("Copied" in n.message for n in app._notifications)
        await pilot.press("escape")
        assert not isinstance(app.screen, SourceScreen)
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
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(app.chat.running_box and app.chat.running_box.text))
        assert app.chat.answering
        assert "Esc stops" in str(app.chat.query_one("#status", Static).render())
        await pilot.press("escape")
        gate.set()
        await settle(pilot, app)
        box = app.chat.query_one(AnswerBox)
        # Stopping takes effect between events: the piece in flight still arrives.
        assert answer_text(box) == ANSWER_TEXT.removesuffix(" [2].") + " [stopped]"
        (session,) = store.list()
        saved = store.messages(session.id)[1].answer
        assert saved is not None and saved.stopped and saved.text.startswith("Xi’an [1]")
        assert not app.chat.answering


async def test_failed_answer_is_a_notification_and_the_app_goes_on(
    settings: Settings, store: SessionStore
) -> None:
    answerer = ScriptedAnswerer(error=EndpointError("the model endpoint at 127.0.0.1:9 refused"))
    app = make_app(assistant=fake_assistant(settings, answerer), store=store, settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(pilot, app, SUMMIT_QUESTION)
        (note,) = [n for n in app._notifications if n.severity == "error"]
        assert "refused" in note.message and "extractive" in note.message
        assert "Enter sends it again" in note.message
        assert "⚠" in answer_text(app.chat.query_one(AnswerBox))
        assert app.is_running
        # The question is back in the box, focused: fixing the cause and Enter retries it.
        box = app.chat.query_one("#question", TextArea)
        assert box.text == SUMMIT_QUESTION and box.has_focus
        # The failure is saved as a failure, with its reason.
        (session,) = store.list()
        (failed,) = [m for m in store.messages(session.id) if m.role == "assistant"]
        assert failed.failed and "refused" in failed.content
        answerer.error = None
        await pilot.press("enter")
        await settle(pilot, app)
        assert "Xi’an" in answer_text(app.chat.query(AnswerBox).last())
        assert box.text == ""
        # Only the answered turn is history.
        assert [t.question for t in store.history(session.id)] == [SUMMIT_QUESTION]
        assert [m.turn for m in store.messages(session.id)] == [1, 1, 2, 2]
    # Resumed, the session shows the failure and its reason, not "no answer was saved".
    resumed = make_app(
        assistant=fake_assistant(settings), store=store, settings=settings, session_id=session.id
    )
    async with resumed.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        first = resumed.chat.query(AnswerBox).first()
        assert "refused" in answer_text(first) and "no answer was saved" not in answer_text(first)


async def test_index_loads_in_a_worker_with_a_visible_state(
    settings: Settings, store: SessionStore
) -> None:
    release = threading.Event()
    answerer = ScriptedAnswerer()

    def factory(on_status):
        on_status("ingesting seeds (3/5)")
        release.wait(30)
        return fake_assistant(settings, answerer)

    app = make_app(assistant_factory=factory, store=store, settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        status = app.chat.query_one("#status", Static)
        await wait_until(pilot, lambda: "ingesting seeds (3/5)" in str(status.render()))
        assert "loading index" in str(status.render())
        # Sent before the index is ready: shown, queued, and answered once it is.
        await type_text(pilot, "Hello?")
        await pilot.press("enter")
        await type_text(pilot, "And then?")
        await pilot.press("enter")
        await pilot.pause()
        boxes = list(app.chat.query(AnswerBox))
        assert len(boxes) == 2 and all("queued" in b.state for b in boxes)
        assert "2 questions queued" in str(status.render())
        assert "ingesting seeds (3/5)" in str(status.render())
        assert app.chat.query_one("#question", TextArea).text == ""
        release.set()
        await wait_until(pilot, lambda: app.assistant is not None)
        await settle(pilot, app)
        assert str(status.render()).startswith("ready")
        assert all("Xi’an" in answer_text(b) for b in app.chat.query(AnswerBox))
        assert answerer.calls[0] == "Hello?" and answerer.calls[1].startswith("And then?")


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
        await type_text(pilot, "Hello?")
        await pilot.press("enter")  # nothing can answer: the question stays in the box
        assert app.chat.query_one("#question", TextArea).text == "Hello?"
        assert not app.chat.query(AnswerBox)


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
