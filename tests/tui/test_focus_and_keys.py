"""Keys as a new user presses them: focus comes home to the question box, typing anywhere
types the question, Up recalls, and source keys open the latest answer's sources."""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import Input, Static, TextArea

from tests.tui.conftest import CONSENSUS_QUOTE, SUMMIT_QUESTION, SUMMIT_QUOTE, ScriptedAnswerer
from tests.tui.helpers import ask, type_text
from tui.app import ChatApp
from tui.screens.dialogs import ConfirmModal, PromptModal
from tui.screens.source import SourceScreen
from tui.widgets.conversation import AnswerBox, AnswerText, Conversation, SourceItem


def box(app: ChatApp) -> TextArea:
    return app.chat.query_one("#question", TextArea)


async def test_focus_comes_home_after_every_screen_and_dialog(app: ChatApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(pilot, app, SUMMIT_QUESTION)
        assert box(app).has_focus  # after an answer
        opened = [
            (lambda: pilot.press("alt+1"), SourceScreen, "escape"),
            (lambda: pilot.click(SourceItem), SourceScreen, "q"),
            (lambda: pilot.press("f1"), None, "escape"),
            (lambda: pilot.press("ctrl+o"), None, "escape"),
            (lambda: pilot.press("f2"), PromptModal, "escape"),
            (lambda: pilot.press("f3"), PromptModal, "escape"),
            (lambda: pilot.press("f8"), ConfirmModal, "n"),
        ]
        for open_it, screen_type, close_key in opened:
            await open_it()
            await pilot.pause()
            assert app.screen is not app.chat
            if screen_type is not None:
                assert isinstance(app.screen, screen_type)
            await pilot.press(close_key)
            await pilot.pause()
            assert app.screen is app.chat and box(app).has_focus, (screen_type, close_key)
        # The reported sequence: Tab, a source, Esc, then type: the keys land in the box.
        await pilot.press("tab")
        await pilot.press("alt+1")
        await pilot.press("escape")
        await type_text(pilot, "and when?")
        assert box(app).text == "and when?" and app.screen is app.chat


async def test_printable_keys_typed_elsewhere_go_to_the_box(app: ChatApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await ask(pilot, app, SUMMIT_QUESTION)
        for focus in (app.chat.query_one(Conversation), app.chat.query(SourceItem).last()):
            box(app).clear()
            focus.focus()
            await type_text(pilot, "Who? 2")
            assert box(app).has_focus and box(app).text == "Who? 2"
        # Tab Tab at 80x24, then a key: the box gets it, no help screen opens.
        box(app).clear()
        await pilot.press("tab", "tab", "question_mark")
        assert app.screen is app.chat and box(app).text == "?"


async def test_every_focusable_widget_shows_its_focus(app: ChatApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(pilot, app, SUMMIT_QUESTION)
        conversation = app.chat.query_one(Conversation)
        source = app.chat.query(SourceItem).first()

        def marks(widget: Widget) -> tuple[object, ...]:
            s = widget.styles
            return (s.background_tint, s.background, s.border, s.text_style)

        for widget, other in ((conversation, source), (source, box(app)), (box(app), source)):
            other.focus()
            await pilot.pause()
            before = marks(widget)
            widget.focus()
            await pilot.pause()
            assert marks(widget) != before, widget


async def test_up_and_down_walk_the_questions_of_the_session(app: ChatApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(pilot, app, "Who met Kerry?")
        await ask(pilot, app, SUMMIT_QUESTION)
        await pilot.press("up")
        assert box(app).text == SUMMIT_QUESTION
        await pilot.press("up")
        assert box(app).text == "Who met Kerry?"
        await pilot.press("up")  # the oldest stays
        assert box(app).text == "Who met Kerry?"
        await pilot.press("down")
        assert box(app).text == SUMMIT_QUESTION
        await pilot.press("down")
        assert box(app).text == ""
        # Up on a question being typed moves the cursor, it does not replace the text.
        await type_text(pilot, "draft")
        await pilot.press("up")
        assert box(app).text == "draft"


async def test_source_keys_open_the_latest_answer_and_digits_type(
    app: ChatApp, answerer: ScriptedAnswerer
) -> None:
    async with app.run_test(size=(100, 40)) as pilot:
        await ask(pilot, app, SUMMIT_QUESTION)
        answerer.quotes = (CONSENSUS_QUOTE, SUMMIT_QUOTE)  # the second answer cites the other
        await ask(pilot, app, "And the consensus?")
        # While typing, alt+2 opens source [2] of the latest answer; 1-9 are digits.
        await type_text(pilot, "in 2023")
        assert box(app).text == "in 2023"
        await pilot.press("alt+2")
        screen = app.screen
        assert isinstance(screen, SourceScreen) and screen.citation.quote == SUMMIT_QUOTE
        await pilot.press("escape")
        await pilot.press("alt+1")
        assert isinstance(app.screen, SourceScreen)
        assert app.screen.citation.quote == CONSENSUS_QUOTE
        await pilot.press("escape")
        assert box(app).text == "in 2023" and box(app).has_focus
        await pilot.press("alt+7")
        assert app.screen is app.chat
        assert any("no source [7]" in n.message for n in app._notifications)
        # A click on [1] in the older answer opens that answer's source [1].
        first_text = app.chat.query(AnswerBox).first().query_one(AnswerText)
        app.chat.query_one(Conversation).scroll_home(animate=False)
        await pilot.pause()
        assert str(first_text.render()).startswith("Xi’an [1]")
        await pilot.click(first_text, offset=(7, 0))
        await pilot.pause()
        assert isinstance(app.screen, SourceScreen)
        assert app.screen.citation.quote == SUMMIT_QUOTE


async def test_sessions_search_box_keeps_its_own_keys(app: ChatApp) -> None:
    """Typing goes to the question box only from the chat: other screens keep their keys."""
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(pilot, app, SUMMIT_QUESTION)
        await pilot.press("ctrl+o", "slash")
        await type_text(pilot, "summit")
        assert app.screen.query_one(Input).value == "summit"
        assert box(app).text == ""
        status = app.chat.query_one("#status", Static)
        assert "ready" in str(status.render())
