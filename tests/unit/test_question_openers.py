"""A question's first word is capitalised for coming first, not for being a name: quiz
lead-ins open with "Newly", "Despite", "Huge". The question alone cannot tell "Newly" from
"Tesla"; the articles found can (``scorer.ground``). Generic wording only; no seed text."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answer.fitted import FittedAnswerer, _reason
from assistant.answer.question import analyse, openers_in
from assistant.answer.scorer import ground
from assistant.answer.sentence_pool import Pool, candidates
from assistant.retrieval.memory import MemoryIndex
from assistant.settings import load_settings


@pytest.mark.parametrize(
    ("question", "openers"),
    [
        ("Newly released figures show a record. Which energy source set it?", ["Newly"]),
        ("Despite the rain, how many runners finished?", ["Despite"]),
        ("Tesla reported record sales. How many cars did it sell?", ["Tesla"]),
        ("NASA released images this week. What did they show?", []),  # all capitals: a name
        ("Which Tory MP resigned?", []),  # capitalised after the question word
        ("In Brazil, who won the vote?", []),
        ("Fans of Tesla cheered. Why did Tesla shares rise?", []),  # also inside a sentence
    ],
)
def test_openers_are_single_capitalised_words_that_open_a_sentence(
    question: str, openers: list[str]
) -> None:
    assert openers_in(question) == openers
    assert set(openers) <= set(analyse(question).names)


def _pool(tmp_path: Path, text: str, question: str) -> Pool:
    (tmp_path / "a.md").write_text(text, encoding="utf-8")
    index = MemoryIndex.from_paths([tmp_path], load_settings())
    return candidates(index.retrieve(question, FittedAnswerer.pool_k), index)


def test_an_opener_the_articles_write_inside_a_sentence_stays_a_name(tmp_path: Path) -> None:
    question = "Tesla reported record sales. How many cars did it sell?"
    pool = _pool(tmp_path, "Shares of Tesla rose. The carmaker sold 400,000 cars.\n", question)
    assert ground(analyse(question), pool).names == ["Tesla"]


def test_an_opener_the_articles_never_capitalise_inside_a_sentence_is_dropped(
    tmp_path: Path,
) -> None:
    question = "Newly released figures show a record. Which energy source set it?"
    text = "Wind power set a record last year, newly released figures show.\n"
    pool = _pool(tmp_path, text, question)
    grounded = ground(analyse(question), pool)
    assert "Newly" not in grounded.names
    assert ground(grounded, pool) == grounded  # idempotent


def test_a_refusal_reason_never_names_an_opening_word(tmp_path: Path) -> None:
    question = "Newly released figures show what about the Mars rover?"
    text = "Wind power set a record last year, figures released on Monday show.\n"
    pool = _pool(tmp_path, text, question)
    assert _reason(analyse(question), pool) == "None of the articles found mentions Newly."
    assert _reason(ground(analyse(question), pool), pool) == (
        "None of the articles found mentions Mars."
    )


def test_with_no_article_to_check_an_opener_is_not_a_name() -> None:
    question = analyse("Despite the rain, how many runners finished?")
    assert question.names == ["Despite"]
    assert ground(question, Pool()).names == []
