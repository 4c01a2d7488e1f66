"""Who says what on the seeds: one block per outlet, every quote verified at its offsets."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from assistant.answer.extractive import ExtractiveAnswerer
from assistant.answer.service import Assistant
from assistant.retrieval.memory import MemoryIndex
from assistant.settings import load_settings
from assistant.types import Answer
from tests.conftest import SEEDS

MULTI = [
    "How did each side describe the state of China-US relations?",
    "What did each side say about cooperation on climate change?",
    "What did the two sides say about dialogue between China and the United States?",
]


@pytest.fixture(scope="module")
def assistant() -> Assistant:
    index = MemoryIndex.from_paths([SEEDS], load_settings())
    return Assistant(load_settings(), retriever=index, source=index, answerer=ExtractiveAnswerer())


def _check_blocks(answer: Answer, assistant: Assistant) -> None:
    assert answer.perspectives is not None
    markers = {c.n: c for c in answer.citations}
    for block in answer.perspectives:
        for c in block.citations:
            assert markers[c.n] == c
            text = assistant.source.article_text(c.article_id)
            assert text is not None and text[c.start : c.end] == c.quote
            article = assistant.source.article(c.article_id)
            assert article is not None
            if block.outlet:
                assert article.outlet == block.outlet
            else:
                assert article.outlet == "" and article.title == block.title
            assert c.date_label and c.date_label in block.date_text


@pytest.mark.parametrize("question", MULTI)
def test_multi_outlet_questions_give_one_block_per_outlet(
    assistant: Assistant, question: str
) -> None:
    answer = assistant.ask(question, perspectives=True)
    assert answer.perspectives is not None and len(answer.perspectives) >= 2
    labels = [b.label() for b in answer.perspectives]
    assert len(labels) == len(set(labels))
    _check_blocks(answer, assistant)
    assert any(n.startswith("Who says what:") and "sources cover" in n for n in answer.notes)


def test_the_us_side_and_the_readout_speak_for_themselves(assistant: Assistant) -> None:
    answer = assistant.ask(MULTI[0], perspectives=True)
    assert answer.perspectives is not None
    by_article = {c.article_id for b in answer.perspectives for c in b.citations}
    assert {"002_795a1b929e5acf24.txt", "003_7d1f377c2dc1bafd.txt"} <= by_article
    speakers = {s for b in answer.perspectives for s in b.speakers()}
    assert speakers & {"Price", "Yang Jiechi", "Kerry"}


def test_a_question_naming_an_outlet_gets_only_that_outlet(assistant: Assistant) -> None:
    answer = assistant.ask(
        "What did the Global Times say about China-US relations?", perspectives=True
    )
    assert answer.perspectives and {b.outlet for b in answer.perspectives} == {"Global Times"}
    assert "Answered from Global Times only: the question names it." in answer.notes
    assert "Who says what: only Global Times, the outlet the question names." in answer.notes
    _check_blocks(answer, assistant)


def test_one_outlet_is_said_plainly(assistant: Assistant) -> None:
    answer = assistant.ask(
        "Where will the 14th China-US Tourism Leadership Summit be held?", perspectives=True
    )
    assert answer.perspectives is not None and len(answer.perspectives) == 1
    assert any("only one outlet covers this question (Global Times)" in n for n in answer.notes)


def test_without_the_flag_there_are_no_blocks(assistant: Assistant) -> None:
    answer = assistant.ask(MULTI[0])
    assert answer.perspectives is None
    assert answer.to_dict()["perspectives"] is None


def test_blocks_survive_json_round_trip(assistant: Assistant) -> None:
    answer = assistant.ask(MULTI[0], perspectives=True)
    data = json.loads(json.dumps(answer.to_dict()))
    assert data["perspectives"][0]["label"] == answer.perspectives[0].label()  # type: ignore[index]
    assert Answer.from_dict(data).perspectives == answer.perspectives


def test_cli_prints_blocks_and_each_quote_once(
    monkeypatch: pytest.MonkeyPatch, assistant: Assistant
) -> None:
    from assistant.cli import app

    monkeypatch.setattr(Assistant, "from_settings", classmethod(lambda cls, *a, **k: assistant))
    result = CliRunner().invoke(app, ["ask", "--perspectives", MULTI[0]])
    assert result.exit_code == 0, result.output
    assert "Who says what:" in result.output and "■ unknown outlet (" in result.output
    answer = assistant.ask(MULTI[0], perspectives=True)
    for block in answer.perspectives or []:
        for c in block.citations:
            assert result.output.count(c.quote) == 1 + (c.quote in answer.text)


def test_exports_keep_the_blocks(assistant: Assistant) -> None:
    from assistant.sessions.export import answer_markdown

    answer = assistant.ask(MULTI[0], perspectives=True)
    text = answer_markdown(answer)
    assert "**Who says what**" in text
    for block in answer.perspectives or []:
        assert f"- {block.label()} — {block.date_text}: [{block.citations[0].n}]" in text
