"""The suite loader: valid suites load; every malformed case is reported with file, id, line."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.suite import SuiteError, check_against_corpus, load_suites, parse_suite, select

ROOT = Path(__file__).resolve().parents[2]

GOOD = """\
- id: tourism
  question: Where will the summit be held?
  answer_any: [["Xi'an", "Xian"]]
  sources: [a.txt]
  evidence: ["held in Xi'an"]
  tags: [where]
- id: not-covered
  question: What about the Olympics?
  answerable: false
  tags: [unanswerable]
- id: follow
  turns:
    - question: Who met Kerry?
      answer_any: [["Yang Jiechi"]]
    - question: How many times?
      answer_any: [[31]]
  tags: [conversation]
"""


def problems_of(text: str) -> list[str]:
    _, problems = parse_suite(text, "suite.yaml")
    return [str(p) for p in problems]


def test_a_valid_suite_loads() -> None:
    cases, problems = parse_suite(GOOD, "suite.yaml")
    assert problems == []
    assert [c.id for c in cases] == ["tourism", "not-covered", "follow"]
    tourism, refuse, follow = cases
    assert tourism.turns[0].answer_any == (("Xi'an", "Xian"),)
    assert tourism.line == 1 and not tourism.conversation
    assert not refuse.turns[0].answerable
    assert follow.conversation and len(follow.turns) == 2
    assert follow.turns[1].answer_any == (("31",),)  # a YAML number is read as its text


def test_an_unknown_key_is_reported_with_file_case_and_line() -> None:
    text = GOOD.replace("  tags: [where]\n", "  tags: [where]\n  answr_any: [[x]]\n")
    assert problems_of(text) == [
        "suite.yaml:7: tourism: unknown key 'answr_any' (known: answer_any, answerable, as_of, "
        "evidence, id, note, perspectives, question, sources, tags, turns)"
    ]


def test_an_unknown_key_in_a_turn_names_the_turn() -> None:
    text = GOOD.replace("      answer_any: [[31]]\n", "      answer_any: [[31]]\n      tags: [x]\n")
    [problem] = problems_of(text)
    assert problem.startswith("suite.yaml:17: follow turn 2: unknown key 'tags'")


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("- id: a\n  question: Q?\n", "suite.yaml:1: a: an answerable question needs 'answer_any'"),
        (
            "- id: a\n  question: Q?\n  answer_any: [x, y]\n",
            "suite.yaml:3: a: 'answer_any' must be a list of groups",
        ),
        (
            "- id: a\n  question: Q?\n  answerable: false\n  answer_any: [[x]]\n",
            "suite.yaml:4: a: an unanswerable question has no 'answer_any'",
        ),
        (
            "- id: a\n  answer_any: [[x]]\n",
            "suite.yaml:1: a: needs exactly one of 'question' or 'turns'",
        ),
        ("- question: Q?\n  answer_any: [[x]]\n", "suite.yaml:1: case #1: needs an id"),
        ("- just text\n", "suite.yaml:1: case #1: a case must be a mapping, got text"),
        (
            "- id: a\n  question: Q?\n  answerable: maybe\n  answer_any: [[x]]\n",
            "'answerable' must",
        ),
        ("- id: a\n  question: Q?\n  answer_any: [[yes]]\n", "must be non-empty text"),
        ("- id: a\n  question: ''\n  answer_any: [[x]]\n", "suite.yaml:2: a: 'question' must be"),
        ("- id: a\n  turns: []\n", "suite.yaml:2: a: 'turns' must be a non-empty list"),
        (
            "- id: a\n  question: Q?\n  question: R?\n  answer_any: [[x]]\n",
            "suite.yaml:3: a: duplicate key",
        ),
        (
            "- id: a\n  question: Q?\n  answer_any: [[x]]\n  evidence: [frag]\n",
            "suite.yaml:4: a: 'evidence' needs the 'sources'",
        ),
        ("id: a\n", "suite.yaml:1: a suite must be a YAML list of cases"),
        ("", "suite.yaml:1: the suite is empty"),
        ("- id: a\n  question: [unclosed\n", "suite.yaml:3: invalid YAML"),
    ],
)
def test_malformed_cases_are_reported_with_line_numbers(case: str, expected: str) -> None:
    found = problems_of(case)
    assert found, f"no problem reported for {case!r}"
    assert any(p.startswith(expected) or expected in p for p in found), found


def test_every_problem_is_reported_not_just_the_first() -> None:
    text = (
        "- id: a\n  question: Q?\n  bogus: 1\n- id: b\n  question: R?\n  answer_any: [[x]]\n- 7\n"
    )
    found = problems_of(text)
    assert len(found) == 3
    assert any("case #3" in p for p in found)


def test_a_malformed_case_is_never_silently_dropped(tmp_path: Path) -> None:
    suite = tmp_path / "s.yaml"
    suite.write_text(GOOD + "- id: broken\n  question: Q?\n", encoding="utf-8")
    with pytest.raises(SuiteError) as err:
        load_suites([suite])
    assert f"{suite}:18: broken:" in str(err.value)


def test_duplicate_ids_across_files_are_reported(tmp_path: Path) -> None:
    one, two = tmp_path / "one.yaml", tmp_path / "two.yaml"
    one.write_text(GOOD, encoding="utf-8")
    two.write_text("- id: tourism\n  question: Q?\n  answer_any: [[x]]\n", encoding="utf-8")
    with pytest.raises(
        SuiteError, match=r"two.yaml:1: tourism: duplicate id \(first at .*one.yaml:1\)"
    ):
        load_suites([one, two])


def test_an_unreadable_suite_is_a_problem(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="cannot read"):
        load_suites([tmp_path / "missing.yaml"])


def test_select_by_id_and_tag() -> None:
    cases, _ = parse_suite(GOOD, "s.yaml")
    assert [c.id for c in select(cases, only=["follow"])] == ["follow"]
    assert [c.id for c in select(cases, tags=["where", "unanswerable"])] == [
        "tourism",
        "not-covered",
    ]
    with pytest.raises(SuiteError, match="nope: no case has this id"):
        select(cases, only=["nope"])


def test_gold_sources_and_evidence_are_checked_against_the_corpus() -> None:
    cases, _ = parse_suite(GOOD, "s.yaml")
    texts = {"a.txt": "The summit will be held in Xi’an in May."}
    assert check_against_corpus(cases, texts.get) == []
    found = [str(p) for p in check_against_corpus(cases, {"a.txt": "nothing here"}.get)]
    assert found == ['s.yaml:1: tourism: evidence not in its sources: "held in Xi\'an"']
    nothing: dict[str, str] = {}
    assert "unknown source 'a.txt'" in str(check_against_corpus(cases, nothing.get)[0])


def test_the_seeds_suite_is_well_formed_and_grounded() -> None:
    """The seeds suite's promises: size, refusals, conversations, gold data in the articles."""
    cases = load_suites([ROOT / "evals" / "seeds.yaml"])
    seeds = ROOT / "seeds"

    def text(article_id: str) -> str | None:
        path = seeds / article_id
        return path.read_bytes().decode("utf-8") if path.is_file() else None

    assert check_against_corpus(cases, text) == []
    turns = [t for c in cases for t in c.turns]
    assert len(cases) >= 45
    assert sum(not t.answerable for t in turns) >= 10
    assert sum(c.conversation for c in cases) >= 5
    assert all(t.sources for t in turns if t.answerable)
    assert (
        sum(bool(t.evidence) for t in turns if t.answerable) / sum(t.answerable for t in turns)
        > 0.9
    )
    assert sum("cross-article" in c.tags for c in cases) >= 5
    articles = {s for t in turns for s in t.sources}
    assert len(articles) == 5
