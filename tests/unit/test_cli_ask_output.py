"""How `assistant ask` prints a streamed answer once its quotes have been checked."""

from __future__ import annotations

import pytest

from assistant.cli.ask import _print_answer
from assistant.types import Answer


def test_unstreamed_answers_are_printed_whole(capsys: pytest.CaptureFixture[str]) -> None:
    _print_answer(Answer(question="q", text="It was Xi’an. [1]"), shown="")
    assert capsys.readouterr().out == "It was Xi’an. [1]\n"


def test_model_words_before_a_fallback_are_withdrawn(capsys: pytest.CaptureFixture[str]) -> None:
    final = "According to Global Times: “… held in Xi’an in May.” [1]"
    _print_answer(Answer(question="q", text=final), shown=f"Held on May 22, 2023.\n\n{final}")
    assert "could not be checked against the articles and are withdrawn" in capsys.readouterr().out


def test_a_revised_answer_is_printed_again(capsys: pytest.CaptureFixture[str]) -> None:
    _print_answer(Answer(question="q", text="In Xi’an [1]."), shown="In Xi’an [3].")
    out = capsys.readouterr().out
    assert "Checked against the articles, the answer reads:\nIn Xi’an [1]." in out


def test_an_unchanged_stream_is_not_repeated(capsys: pytest.CaptureFixture[str]) -> None:
    _print_answer(Answer(question="q", text="In Xi’an [1]."), shown="In Xi’an [1].")
    assert capsys.readouterr().out == "\n"
