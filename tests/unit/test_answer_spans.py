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


@pytest.mark.parametrize(
    ("sentence", "dropped", "kept"),
    [
        ("WASHINGTON—The Senate confirmed Lina Park on Tuesday.", "WASHINGTON", "Lina Park"),
        ("DENVER –The Broncos traded Sam Ortiz to Miami.", "DENVER", "Sam Ortiz"),
        ("NAIROBI (Reuters)—Kenya raised its fuel prices.", "NAIROBI", "Kenya"),
    ],
)
def test_a_dateline_with_no_space_after_its_dash_is_not_a_span(
    sentence: str, dropped: str, kept: str
) -> None:
    names = texts(sentence, "name") + texts(sentence, "place")
    assert dropped not in names and kept in names


def test_a_short_capitals_word_before_a_dash_is_not_a_dateline() -> None:
    assert "US" in texts("US–Mexico trade talks resumed in Laredo.", "name")


def short(question: str, sentence: str, common: frozenset[str] = frozenset()) -> str:
    span = answer_span(analyse(question), sentence, common)
    return "" if span is None else sentence[span.start : span.end]


def test_a_common_word_opening_the_sentence_is_not_the_answer() -> None:
    sentence = "Officially, the stadium sold out both nights of the tour."
    question = "Which band sold out the stadium?"
    assert short(question, sentence) == "Officially"  # capitalised: looks like a name
    common = frozenset({"officially", "the", "stadium"})  # the article writes it in lowercase
    assert short(question, sentence, common) == ""
    named = "Officially, Coldplay sold out the stadium both nights."
    assert short(question, named, common) == "Coldplay"
    assert short(question, "Coldplay sold out the stadium both nights.", common) == "Coldplay"


def test_no_span_crosses_the_end_of_a_sentence_in_a_widened_quote() -> None:
    quote = "The figures were released by the CDC. Officials said Ohio led the count."
    question = "Which agency released the figures?"
    assert short(question, quote) == "CDC"  # not "CDC. Officials"


def test_each_sentence_of_a_widened_quote_has_its_own_first_word() -> None:
    quote = "The tour ended in May. Officially, the stadium sold out both nights."
    question = "Which band sold out the stadium?"
    common = frozenset({"officially", "the", "stadium"})
    assert short(question, quote, common) == ""  # "Officially" opens the second sentence


@pytest.mark.parametrize(
    ("question", "sentence", "answer"),
    [
        ("How many people attended the concert?", "The hall is 40 miles from the city.", ""),
        ("How many people attended the concert?", "It is 40 miles away; 9,000 fans came.", "9,000"),
        ("How many miles is the hall from the city?", "The hall is 40 miles from the city.",
         "40 miles"),
        ("How much was the hiker fined?", "A 23-year-old hiker fell into the crater.", ""),
        ("How much did ticket prices rise?", "Ticket prices rose 12% this year.", "12%"),
        ("How old was the hiker?", "The hiker was 23 years old.", "23 years old"),
    ],
)
def test_a_count_is_not_a_measure_and_no_amount_is_an_age(
    question: str, sentence: str, answer: str
) -> None:
    assert short(question, sentence) == answer


def test_two_capitalised_words_after_in_are_a_place_not_a_person() -> None:
    from assistant.answer.spans import candidate_spans, person_spans

    sentence = "Dana Ortiz, who grew up in New York, was named to run the port authority."
    assert "New York" in [sentence[p.start : p.end] for p in person_spans(sentence)]  # looks so
    found = candidate_spans(analyse("Who will run the port authority?"), sentence)
    assert [(sentence[s.start : s.end], s.kind) for s in found] == [("Dana Ortiz", "person")]


def test_a_name_starts_a_word() -> None:
    sentence = "Apple said iPhone shipments fell while eBay sales rose, O’Brien said."
    assert texts(sentence, "name") == ["Apple", "O’Brien"]  # no "Phone", no "Bay"
    assert analyse("How many iPhone units did Apple ship?").names == ["Apple"]


def test_a_number_starts_a_word() -> None:
    sentence = "In the roaring '20s the G7 met; Q3 sales rose 12% and 10-12 people came."
    assert texts(sentence, "number") == ["12%", "10", "12 people"]
