"""Sentence spans: the units the extractive answerer quotes."""

from __future__ import annotations

import pytest

from assistant.text.sentences import sentence_spans


def split(text: str) -> list[str]:
    spans = sentence_spans(text)
    for start, end in spans:
        piece = text[start:end]
        assert piece == piece.strip() and piece
    return [text[s:e] for s, e in spans]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Smith met Dr. Jones. They talked.",
            ["Mr. Smith met Dr. Jones.", "They talked."],
        ),
        (
            "The U.S. Department of State spoke. Relations with the U.S. The talks failed.",
            ["The U.S. Department of State spoke.", "Relations with the U.S.", "The talks failed."],
        ),
        ("Growth was 3.5 percent. It slowed.", ["Growth was 3.5 percent.", "It slowed."]),
        (
            'He said "we will win." Then he left.',
            ['He said "we will win."', "Then he left."],
        ),
        (
            "“Cooperation must be two-way,” he added. “We agree.” Talks go on.",
            ["“Cooperation must be two-way,” he added.", "“We agree.”", "Talks go on."],
        ),
        (
            "It began on Sep. 3, 2021. Room No. 5 was used.",
            ["It began on Sep. 3, 2021.", "Room No. 5 was used."],
        ),
        (
            "John F. Kennedy spoke at 3 p.m. on Friday. Why? Nobody knows!",
            ["John F. Kennedy spoke at 3 p.m. on Friday.", "Why?", "Nobody knows!"],
        ),
        ('"Really?" she asked. Yes.', ['"Really?" she asked.', "Yes."]),
        ("Wait... It came.", ["Wait...", "It came."]),
        (
            "A heading without a stop\nThe body. More body",
            ["A heading without a stop", "The body.", "More body"],
        ),
        (
            "  \ufeff Leading blanks.  \r\n\r\n  Trailing blanks.  ",
            ["Leading blanks.", "Trailing blanks."],
        ),
        ("中方表示欢迎。美方回应！", ["中方表示欢迎。", "美方回应！"]),
        ("", []),
    ],
)
def test_sentences(text: str, expected: list[str]) -> None:
    assert split(text) == expected


def test_offsets_are_absolute_within_a_range() -> None:
    text = "Ignore this. Take this one. And this. Not this."
    start = text.index("Take")
    end = text.index(" Not")
    spans = sentence_spans(text, start, end)
    assert [text[s:e] for s, e in spans] == ["Take this one.", "And this."]
    assert spans[0][0] == start
