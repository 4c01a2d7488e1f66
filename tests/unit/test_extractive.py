"""The default answerer on the real seeds, through the in-memory index (no embeddings)."""

from __future__ import annotations

import pytest

from assistant.answer.extractive import ExtractiveAnswerer
from assistant.retrieval.memory import MemoryIndex
from assistant.settings import load_settings
from tests.conftest import SEEDS


@pytest.fixture(scope="module")
def index() -> MemoryIndex:
    return MemoryIndex.from_paths([SEEDS], load_settings())


def ask(index: MemoryIndex, question: str, k: int = 6):
    hits = index.retrieve(question, k)
    return ExtractiveAnswerer().answer(question, hits, index)


def test_answers_with_the_articles_own_words(index: MemoryIndex) -> None:
    answer = ask(index, "Where will the 14th China-US Tourism Leadership Summit be held?")
    assert not answer.refused
    assert "Xi’an" in answer.citations[0].quote
    assert answer.citations[0].article_id == "001_5afc2ed96cba7e86.txt"
    assert answer.citations[0].outlet == "Global Times"
    assert "[1]" in answer.text


def test_every_citation_is_the_article_text_at_its_offsets(index: MemoryIndex) -> None:
    for question in (
        "Who met John Kerry via video link?",
        "What did Xi say about competition?",
        "Which treaty marks its 20th anniversary?",
        "What did Ned Price say about allies?",
        "What did Wang Yi say about the oasis?",
    ):
        answer = ask(index, question)
        assert answer.citations, question
        for c in answer.citations:
            assert (SEEDS / c.article_id).read_bytes().decode()[c.start : c.end] == c.quote


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("What did Angela Merkel tell Xi Jinping?", "Angela Merkel"),
        ("What did John Kerry say about Taiwan?", "never together"),
        ("Where will the 15th China-US Tourism Leadership Summit be held?", "15th"),
    ],
)
def test_refuses_when_the_evidence_does_not_cover_the_question(
    index: MemoryIndex, question: str, reason: str
) -> None:
    answer = ask(index, question)
    assert answer.refused
    assert not answer.citations
    assert reason in answer.refusal_reason
    assert answer.text.startswith("The articles don't say.")


def test_refuses_without_evidence(index: MemoryIndex) -> None:
    answer = ExtractiveAnswerer().answer("Who won the match?", [], index)
    assert answer.refused


def test_quotes_are_not_near_duplicates(index: MemoryIndex) -> None:
    answer = ask(index, "What did Yang Jiechi say such cooperation must be?")
    assert not answer.refused
    quotes = [c.quote for c in answer.citations]
    assert any("two-way and mutually beneficial" in q for q in quotes)
    assert len(set(quotes)) == len(quotes)
    assert len(quotes) <= 3


def test_is_deterministic(index: MemoryIndex) -> None:
    q = "What did Lavrov's visit coordinate?"
    assert ask(index, q).to_dict() == ask(index, q).to_dict()


@pytest.mark.parametrize(
    ("question", "title"),
    [
        ("Who is Wang Yi?", "Foreign Minister Wang Yi"),
        ("Where does Lü Xiang work?", "research fellow"),
    ],
)
def test_who_is_questions_quote_the_persons_title(
    index: MemoryIndex, question: str, title: str
) -> None:
    answer = ask(index, question)
    assert not answer.refused
    assert title in answer.citations[0].quote


def test_publication_date_questions_quote_the_articles_date_line(index: MemoryIndex) -> None:
    answer = ask(index, "When was the China Daily editorial on Lavrov's visit to China updated?")
    assert (
        answer.citations[0].quote
        == "By China Daily editorial | chinawatch.cn | Updated: 2021-12-01 09:05"
    )
