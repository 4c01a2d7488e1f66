"""The out-of-domain check suite is well formed and its gold answers are in its articles."""

from __future__ import annotations

from pathlib import Path

from evals.matching import contains
from evals.suite import check_against_corpus, load_suites
from tests.conftest import ROOT

OOD = ROOT / "evals" / "ood"


def test_the_ood_suite_is_sound() -> None:
    cases = load_suites([OOD / "ood.yaml"])
    texts = {p.name: p.read_text(encoding="utf-8") for p in (OOD / "corpus").glob("*.md")}
    assert len(texts) >= 8
    assert check_against_corpus(cases, texts.get) == []
    turns = [t for c in cases for t in c.turns]
    assert len(turns) >= 45 and sum(not t.answerable for t in turns) >= 12
    for case in cases:
        for turn in case.turns:
            for group in turn.answer_any:
                assert any(contains(texts[s], alt) for s in turn.sources for alt in group), (
                    case.id,
                    group,
                )
    assert all(Path(OOD / "corpus" / s).is_file() for t in turns for s in t.sources)
