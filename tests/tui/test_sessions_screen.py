"""Sessions in the chat app: new, resume, rename, delete, search, export."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Input, Label, ListView, Static, TextArea

from assistant.sessions.store import SessionStore
from assistant.settings import Settings
from tests.tui.conftest import SUMMIT_QUESTION, SUMMIT_QUOTE, fake_assistant
from tests.tui.helpers import ask, type_text, wait_until
from tui.app import ChatApp, make_app
from tui.screens.dialogs import ConfirmModal, PromptModal
from tui.screens.sessions import SessionItem, SessionsScreen
from tui.widgets.conversation import AnswerBox, QuestionBox, SourceItem


def items(app: ChatApp) -> list[str]:
    return [i.session.title for i in app.screen.query(SessionItem)]


async def test_create_search_rename_delete_and_resume(app: ChatApp, store: SessionStore) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(pilot, app, "Who met Kerry?")
        first = app.session
        assert first is not None and first.title == "Who met Kerry?"
        await pilot.press("ctrl+n")
        assert app.session is None and not app.chat.query(QuestionBox)
        await ask(pilot, app, SUMMIT_QUESTION)
        second = app.session
        assert second is not None and second.id != first.id

        await pilot.press("ctrl+o")
        assert isinstance(app.screen, SessionsScreen)
        assert len(items(app)) == 2
        # Search by text in the messages (answers mention Xi'an in both; titles differ).
        await pilot.press("slash")
        await type_text(pilot, "kerry")
        await pilot.pause()
        assert items(app) == ["Who met Kerry?"]
        await pilot.press("enter")  # back to the list
        assert isinstance(app.focused, ListView)

        # Rename.
        await pilot.press("r")
        assert isinstance(app.screen, PromptModal)
        app.screen.query_one(Input).value = ""
        await type_text(pilot, "Kerry talks")
        await pilot.press("enter")
        await pilot.pause()
        assert store.require(first.id).title == "Kerry talks"
        assert items(app) == ["Kerry talks"]

        # Clear the search; delete the current (second) session, after confirming.
        await pilot.press("slash")
        app.screen.query_one(Input).value = ""
        await pilot.press("enter")
        await pilot.pause()
        assert len(items(app)) == 2
        view = app.screen.query_one(ListView)
        view.index = [i.session.id for i in app.screen.query(SessionItem)].index(second.id)
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")  # cancel first
        assert store.get(second.id) is not None
        await pilot.press("d")
        await pilot.press("y")
        await pilot.pause()
        assert store.get(second.id) is None
        assert items(app) == ["Kerry talks"]
        assert app.session is None  # the deleted session was the current one

        # Resume the remaining session: its messages and history come back.
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, SessionsScreen)
        assert app.session is not None and app.session.id == first.id
        assert [str(q.render()) for q in app.chat.query(QuestionBox)] == ["Who met Kerry?"]
        assert app.chat.query_one(AnswerBox).citations[0].quote == SUMMIT_QUOTE
        assert app.chat.query(SourceItem)
        assert [t.question for t in app.chat.history] == ["Who met Kerry?"]
        title = app.chat.query_one("#session-title", Static)
        assert "Kerry talks" in str(title.render())


async def test_follow_up_goes_to_the_resumed_session_with_history(
    settings: Settings, store: SessionStore
) -> None:
    from assistant.types import Answer

    session = store.create()
    store.add_exchange(session.id, "Who met Kerry?", Answer(question="Who met Kerry?", text="Yang"))
    answerer_app = make_app(
        assistant=fake_assistant(settings),
        store=store,
        settings=settings,
        session_id=session.id[:5],
    )
    async with answerer_app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert answerer_app.session is not None and answerer_app.session.id == session.id
        await ask(pilot, answerer_app, "And where is the summit?")
    messages = store.messages(session.id)
    assert [m.turn for m in messages] == [1, 1, 2, 2]
    assert [t.question for t in store.history(session.id)] == [
        "Who met Kerry?",
        "And where is the summit?",
    ]


async def test_export_markdown_and_json(app: ChatApp, tmp_path: Path) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(pilot, app, SUMMIT_QUESTION)
        assert app.session is not None
        sid = app.session.id
        # F3 prompts for a path, defaulting to session-<id>.md in the export dir.
        await pilot.press("f3")
        assert isinstance(app.screen, PromptModal)
        assert app.screen.query_one(Input).value == str(app.export_dir / f"session-{sid}.md")
        await pilot.press("enter")
        await pilot.pause()
        md = (app.export_dir / f"session-{sid}.md").read_text()
        assert SUMMIT_QUOTE in md and "Test Outlet" in md and "2023-06-20" in md
        # A folder that does not exist is an error, never created silently.
        await pilot.press("f3")
        missing = tmp_path / "nonexistent" / "dir" / "out.json"
        app.screen.query_one(Input).value = str(missing)
        await pilot.press("enter")
        await pilot.pause()
        assert not missing.parent.exists()
        assert any(
            "does not exist" in n.message and n.severity == "error" for n in app._notifications
        )
        # A .json path exports JSON.
        await pilot.press("f3")
        target = tmp_path / "answers.json"
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        data = json.loads(target.read_text())
        cite = data["turns"][0]["answer"]["citations"][0]
        assert cite["quote"] == SUMMIT_QUOTE and cite["start"] > 0
        assert any(str(target) in n.message for n in app._notifications)
        # The palette command writes the default JSON file.
        app.action_export("json")
        assert (app.export_dir / f"session-{sid}.json").exists()
        # From the sessions list, e asks for the path before it writes anything.
        (app.export_dir / f"session-{sid}.md").unlink()
        await pilot.press("ctrl+o")
        await pilot.press("e")
        assert isinstance(app.screen, PromptModal)
        assert not (app.export_dir / f"session-{sid}.md").exists()
        assert "Esc cancels" in str(app.screen.query_one(".dialog-hint", Static).render())
        await pilot.press("enter")
        await pilot.pause()
        assert (app.export_dir / f"session-{sid}.md").exists()
        assert isinstance(app.screen, SessionsScreen)


async def test_store_errors_are_notifications(settings: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "sessions.sqlite3"
    bad.write_bytes(b"not a database" * 200)
    app = make_app(assistant=fake_assistant(settings), store=SessionStore(bad), settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(pilot, app, SUMMIT_QUESTION)
        assert "Xi’an" in str(app.chat.query_one(AnswerBox).query_one(".answer-text").render())
        notes = [n.message for n in app._notifications]
        assert any("not a readable SQLite database" in m for m in notes)
        await pilot.press("ctrl+o")
        assert isinstance(app.screen, SessionsScreen)
        assert app.is_running


async def test_click_resumes_a_session(settings: Settings, store: SessionStore) -> None:
    from assistant.types import Answer

    older = store.create()
    store.add_exchange(older.id, "Who met Kerry?", Answer(question="Who met Kerry?", text="Yang"))
    app = make_app(assistant=fake_assistant(settings), store=store, settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+o")
        # Laid out first: a click before layout lands on nothing.
        await wait_until(
            pilot,
            lambda: (
                bool(app.screen.query(SessionItem))
                and app.screen.query(SessionItem).first().region.height > 0
            ),
        )
        await pilot.wait_for_scheduled_animations()
        await pilot.click(SessionItem)
        question = app.chat.query_one("#question", TextArea)
        await wait_until(pilot, lambda: app.screen is app.chat and question.has_focus)
        assert app.session is not None and app.session.id == older.id
        assert [str(q.render()) for q in app.chat.query(QuestionBox)] == ["Who met Kerry?"]
        # Resumed, the box has the focus and Up recalls the session's question.
        await pilot.press("up")
        assert question.text == "Who met Kerry?"


async def test_rows_of_sessions_that_began_alike_read_differently(
    settings: Settings, store: SessionStore
) -> None:
    from assistant.types import Answer

    for follow_up in ("And Blinken?", "And the summit?"):
        session = store.create()
        for q in ("Who met Kerry?", follow_up):
            store.add_exchange(session.id, q, Answer(question=q, text="…"))
    app = make_app(assistant=fake_assistant(settings), store=store, settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+o")
        labels = [str(i.query_one(Label).render()) for i in app.screen.query(SessionItem)]
        assert len(labels) == 2 and labels[0] != labels[1]
        assert any("last: And Blinken?" in label for label in labels)
        await pilot.press("r")  # the rename dialog says how to confirm or cancel
        assert isinstance(app.screen, PromptModal)
        assert "Enter saves · Esc cancels" in str(app.screen.query_one(".dialog-hint").render())
