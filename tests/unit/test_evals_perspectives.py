"""Eval suites score temporal and who-says-what cases: the perspectives key, its per-outlet
answer_any score, and evals/temporal.yaml itself."""

from __future__ import annotations

from pathlib import Path

from assistant.types import Answer, Citation, Perspective
from evals.runner import score_turn
from evals.scorers import CitationChecker
from evals.suite import check_against_corpus, load_suites, parse_suite
from tests.unit.evals_fakes import DictSource

ROOT = Path(__file__).resolve().parents[2]

SUITE = """
- id: p
  question: How did each side describe relations?
  answer_any: [["relations"]]
  perspectives:
    Global Times: [["ties"]]
    Readout: [["Yang"]]
  tags: [perspectives]
"""


def _block(outlet: str, title: str, quote: str) -> Perspective:
    return Perspective(outlet, title, "undated", (Citation(1, quote, "a.txt", 0, len(quote)),))


def test_the_perspectives_key_is_read_per_outlet() -> None:
    cases, problems = parse_suite(SUITE, "s.yaml")
    assert not problems
    assert cases[0].turns[0].perspectives == (
        ("Global Times", (("ties",),)),
        ("Readout", (("Yang",),)),
    )


def test_malformed_perspectives_are_reported() -> None:
    bad = SUITE.replace('Global Times: [["ties"]]', 'Global Times: "ties"')
    _, problems = parse_suite(bad, "s.yaml")
    assert [p.message for p in problems] == [
        "'Global Times' must be a list of groups, each a list of alternatives"
    ]
    listed = SUITE.replace("    Global Times", "    - Global Times").replace(
        "    Readout", "    - Readout"
    )
    _, problems = parse_suite(listed, "s.yaml")
    assert any("'perspectives' must map outlets" in p.message for p in problems)


def test_each_expected_outlet_is_scored_on_its_own_block() -> None:
    spec = parse_suite(SUITE, "s.yaml")[0][0].turns[0]
    text = "China-US ties and relations"
    checker = CitationChecker(DictSource({"a.txt": text}))
    both = Answer(
        question=spec.question,
        text="relations",
        perspectives=[
            _block("Global Times", "t", "China-US ties"),
            _block("", "Readout of the call", "Yang said"),
        ],
    )
    one = Answer(question=spec.question, text="relations", perspectives=[both.perspectives[0]])  # type: ignore[index]
    assert score_turn(spec, both, checker, 5).perspectives == 1.0
    result = score_turn(spec, one, checker, 5)
    assert (result.perspectives, result.perspectives_missing) == (0.5, ["Readout"])
    assert not result.passed


def test_the_temporal_suite_is_valid_and_tagged() -> None:
    cases = load_suites([ROOT / "evals" / "temporal.yaml"])
    tags = {t for c in cases for t in c.tags}
    assert {"temporal", "perspectives"} <= tags
    assert any(t.as_of for c in cases for t in c.turns)
    assert sum(bool(t.perspectives) for c in cases for t in c.turns) >= 3
    seeds = {p.name: p.read_bytes().decode("utf-8") for p in (ROOT / "seeds").glob("*.txt")}
    assert check_against_corpus(cases, seeds.get) == []
