"""Typed spans inside a sentence: a wire dateline or credit is never an answer span."""

from __future__ import annotations

import pytest

from assistant.answer.question import analyse
from assistant.answer.spans import answer_span, spans


def texts(sentence: str, kind: str) -> list[str]:
    return [sentence[s.start : s.end] for s in spans(sentence) if s.kind == kind]


@pytest.mark.parametrize(
    ("sentence", "dropped"),
    [
        ("(AP) Forecasters said the storm would reach Tampa Bay on Friday.", "AP"),
        ("OSLO — The committee chose Maria Ressa and Dmitry Muratov.", "OSLO"),
        ("LAGOS (Reuters) - Fuel queues grew in Abuja on Tuesday.", "LAGOS"),
        ("KTVB — Boise police closed Main Street after the crash.", "KTVB"),
    ],
)
def test_a_dateline_or_credit_opening_the_sentence_is_not_a_span(
    sentence: str, dropped: str
) -> None:
    names = texts(sentence, "name") + texts(sentence, "place")
    assert dropped not in names
    assert names  # the sentence's own names are still found after the dateline
    for s in spans(sentence):  # offsets still point into the whole sentence
        assert sentence[s.start : s.end] in sentence[s.start :]


def test_the_short_answer_skips_the_dateline() -> None:
    sentence = "OSLO — The committee chose Maria Ressa and Dmitry Muratov."
    span = answer_span(analyse("Who won the Nobel Peace Prize?"), sentence)
    assert span is not None and sentence[span.start : span.end] == "Maria Ressa"


@pytest.mark.parametrize(
    "sentence",
    [
        "NASA released the images in July.",  # capitals, no dash: a name, not a dateline
        "A-ha - the band - played in Oslo.",
        "FBI (Federal Bureau of Investigation) agents searched the house.",
    ],
)
def test_capitals_that_are_not_a_dateline_keep_their_spans(sentence: str) -> None:
    first = sentence.split()[0].split("-")[0].rstrip(".")
    assert any(t.startswith(first) for t in texts(sentence, "name"))
