"""Scorers: normalised matching, refusals, retrieval ranks, and citations checked at offsets."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.types import Citation, Hit
from evals import scorers
from evals.matching import contains, matches_groups, normalize
from evals.suite import TurnSpec
from tests.unit.evals_fakes import ARTICLES, DictSource, cite, hits, reply


@pytest.mark.parametrize(
    ("text", "groups", "expected"),
    [
        ("held in Xi’an in May", [["Xi'an", "Xian"]], True),  # curly vs straight apostrophe
        ("held in XI'AN", [["xi’an"]], True),
        ("the “new cold war”", [['"new cold war"']], True),
        ("the China–US summit", [["China-US"]], True),  # en dash vs hyphen
        ("two-way\n  and   mutually\u00a0beneficial", [["two-way and mutually beneficial"]], True),
        ("must be two-way", [["two-way"], ["mutually beneficial"]], False),  # every group
        ("in 2031", [["31"]], False),  # whole words only
        ("Yang said so", [["AI"]], False),
        ("31 times", [["31"]], True),
        ("a five-point consensus", [["five"]], True),
    ],
)
def test_answer_any_matching_normalises(text: str, groups: list[list[str]], expected: bool) -> None:
    assert matches_groups(text, groups) is expected


def test_normalize_and_contains() -> None:
    assert normalize("  Xi’an —  “A”  ") == 'xi\'an - "a"'
    assert contains("Blinken’s three-day visit", "Blinken's three-day")
    assert not contains("anything", "   ")


def test_the_answer_includes_its_quotes() -> None:
    spec = TurnSpec("Where?", answer_any=(("Xi'an",),))
    quote = cite("a.txt", "The summit will be held in Xi’an in May.")
    assert scorers.is_correct(spec, reply("[1]", [quote]))
    assert not scorers.is_correct(spec, reply("Somewhere [1]", [cite("a.txt", "Yang Jiechi")]))


def test_a_refusal_is_wrong_when_answerable_and_right_when_not() -> None:
    answerable = TurnSpec("Where?", answer_any=(("Xi'an",),))
    unanswerable = TurnSpec("Olympics?", answerable=False)
    refused = reply("Xi'an is not covered", refused=True)
    assert not scorers.is_correct(answerable, refused)
    assert scorers.is_correct(unanswerable, refused)
    assert not scorers.is_correct(unanswerable, reply("Something about Xi'an"))


def test_refusal_precision_and_recall() -> None:
    # (should refuse, refused): 2 TP, 1 FP, 1 FN, 1 TN
    pairs = [(True, True), (True, True), (False, True), (True, False), (False, False)]
    precision, recall = scorers.refusal_scores(pairs)
    assert precision == pytest.approx(2 / 3)
    assert recall == pytest.approx(2 / 3)
    assert scorers.refusal_scores([(False, False)]) == (None, None)


def test_retrieved_articles_are_deduplicated_at_their_best_rank() -> None:
    a, b = hits("a.txt", "b.txt")
    shuffled = [Hit(b.chunk, 0.5, 2), Hit(a.chunk, 0.9, 1), Hit(b.chunk, 0.1, 3)]
    assert scorers.retrieved_articles(reply(evidence=shuffled)) == ["a.txt", "b.txt"]


def test_recall_at_k_and_mrr() -> None:
    retrieved = ["x.txt", "a.txt", "b.txt"]
    assert scorers.recall_at_k(["a.txt", "b.txt"], retrieved, 2) == 0.5
    assert scorers.recall_at_k(["a.txt", "b.txt"], retrieved, 3) == 1.0
    assert scorers.reciprocal_rank(["b.txt", "a.txt"], retrieved) == 0.5
    assert scorers.reciprocal_rank(["z.txt"], retrieved) == 0.0
    assert scorers.recall_at_k([], retrieved, 3) is None
    assert scorers.reciprocal_rank([], retrieved) is None


def test_evidence_hit_in_quotes_and_in_retrieved_text() -> None:
    spec = TurnSpec("Q?", answer_any=(("x",),), sources=("a.txt",), evidence=("held in Xi'an",))
    quoted = reply("x", [cite("a.txt", "The summit will be held in Xi’an in May.")], hits("a.txt"))
    only_retrieved = reply("x", [cite("a.txt", "Yang Jiechi met John Kerry.")], hits("a.txt"))
    assert scorers.evidence_hits(spec, quoted) == (True, True)
    assert scorers.evidence_hits(spec, only_retrieved) == (False, True)
    assert scorers.evidence_hits(spec, reply("x")) == (False, False)
    assert scorers.evidence_hits(TurnSpec("Q?"), quoted) == (None, None)


def test_citation_precision() -> None:
    citations = [cite("a.txt", "Yang Jiechi"), cite("b.txt", "Ned Price")]
    assert scorers.citation_precision(["a.txt"], citations) == 0.5
    assert scorers.citation_precision(["a.txt"], []) is None


def test_citation_validity_catches_a_wrong_offset() -> None:
    checker = scorers.CitationChecker(DictSource(ARTICLES))
    assert checker.problem(cite("a.txt", "John Kerry")) == ""
    assert "differs from the quote" in checker.problem(cite("a.txt", "John Kerry", shift=1))
    unknown = Citation(n=1, quote="x", article_id="nope.txt", start=0, end=1)
    assert "no article" in checker.problem(unknown)
    backwards = Citation(n=1, quote="", article_id="a.txt", start=5, end=2)
    assert "bad offsets" in checker.problem(backwards)


def test_citations_are_also_checked_against_the_file_itself(tmp_path: Path) -> None:
    """A source whose stored text drifted from the file (e.g. newline translation) is caught."""
    (tmp_path / "a.txt").write_bytes(ARTICLES["a.txt"].replace(" ", "\r\n", 1).encode("utf-8"))
    checker = scorers.CitationChecker(DictSource(ARTICLES), [tmp_path])
    assert "differs" in checker.problem(cite("a.txt", "John Kerry"))
    (tmp_path / "a.txt").write_bytes(ARTICLES["a.txt"].encode("utf-8"))
    fresh = scorers.CitationChecker(DictSource(ARTICLES), [tmp_path])
    assert fresh.problem(cite("a.txt", "John Kerry")) == ""


def test_mean_and_percentile_skip_what_does_not_apply() -> None:
    assert scorers.mean([1.0, None, 0.0, True]) == pytest.approx(2 / 3)
    assert scorers.mean([None]) is None
    assert scorers.percentile([0.3, 0.1, 0.2, 0.4], 50) == 0.2
    assert scorers.percentile([float(i) for i in range(1, 101)], 95) == 95.0
    assert scorers.percentile([], 50) is None


def test_a_short_answer_is_right_when_its_span_holds_the_one_part_gold() -> None:
    from dataclasses import replace

    from assistant.types import Span

    text = "The city council voted to spend $4.5 million on the bridge."
    quote = Citation(n=1, quote=text, article_id="c.txt", start=0, end=len(text))
    spec = TurnSpec("How much?", answer_any=(("$4.5 million",),))
    span = Span("$4.5 million", 1, "c.txt", 32, 44)
    lead = replace(reply("$4.5 million [1]", [quote]), short_answer=span)
    assert scorers.short_answer_right(spec, lead) is True
    wrong = replace(lead, short_answer=Span("council", 1, "c.txt", 9, 16))
    assert scorers.short_answer_right(spec, wrong) is False
    assert scorers.is_correct(spec, wrong)  # its quote still answers
    assert scorers.short_answer_right(spec, reply("[1]", [quote])) is None  # none shown
    two_parts = TurnSpec("What and how much?", answer_any=(("bridge",), ("$4.5 million",)))
    assert scorers.short_answer_right(two_parts, lead) is None
    refusal = TurnSpec("Stadium?", answerable=False)
    assert scorers.short_answer_right(refusal, lead) is None
