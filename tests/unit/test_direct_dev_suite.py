"""The hand-written direct questions on RealTime QA dev weeks are sound training data.

``evals/realtimeqa/direct-dev.yaml`` is fitting data only. Each case belongs to one dev week
(id, tag, ``as_of``), cites only that week's articles, and its gold spans occur in a source.
A refusal's ``note`` names the key words (``absent: A + B``) that no article of its week holds
together. The corpus checks read ``evals/realtimeqa/corpus`` (``make realtimeqa``) or, on a
fresh clone, convert the dev weeks from ``shared/datasets/realtimeqa`` into a temporary
folder; they skip only when the dataset itself is absent.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from evals.matching import matches_groups, normalize
from evals.suite import Case, load_suites
from tests.conftest import ROOT

RTQA = ROOT / "evals" / "realtimeqa"
SUITE = RTQA / "direct-dev.yaml"
CORPUS = RTQA / "corpus"
DEV_WEEKS = {
    "20220715": "2022-07-15",
    "20220916": "2022-09-16",
    "20221111": "2022-11-11",
    "20230106": "2023-01-06",
}
KINDS = {"who", "when", "where", "how-many", "how-much", "which", "what", "why", "how"}
ID = re.compile(r"direct-(\d{8})-(r?)\d+")
ABSENT = re.compile(r"absent: (.+)")


def _cases() -> list[Case]:
    return load_suites([SUITE])


def _week(case: Case) -> str:
    match = ID.fullmatch(case.id)
    assert match, case.id
    return match.group(1)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dev weeks' corpus folder: the generated one, else a fresh conversion."""
    if all((CORPUS / week).is_dir() for week in DEV_WEEKS):
        return CORPUS
    from evals.importers.realtimeqa import convert
    from evals.workspace import find_realtimeqa

    dataset = find_realtimeqa()
    if dataset is None:
        pytest.skip("RealTime QA data not found (shared/datasets/realtimeqa beside the clone)")
    out = tmp_path_factory.mktemp("rtqa")
    convert(dataset, out, sorted(DEV_WEEKS))
    return out / "corpus"


@cache
def _texts(corpus: Path, week: str) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in (corpus / week).glob("*.md")}


@cache
def _normalized(corpus: Path, week: str) -> dict[str, str]:
    return {name: normalize(text) for name, text in _texts(corpus, week).items()}


def test_every_case_belongs_to_one_dev_week() -> None:
    cases = _cases()
    per_week: Counter[tuple[str, bool]] = Counter()
    per_article: Counter[str] = Counter()
    for case in cases:
        week = _week(case)
        assert week in DEV_WEEKS, case.id
        assert {"direct", "dev", f"w{week}"} <= set(case.tags), case.id
        assert len(case.turns) == 1, case.id
        turn = case.turns[0]
        assert turn.as_of == DEV_WEEKS[week], case.id
        refusal = ID.fullmatch(case.id).group(2) == "r"  # type: ignore[union-attr]
        assert turn.answerable is not refusal, case.id
        if turn.answerable:
            assert turn.sources and len(set(case.tags) & KINDS) == 1, case.id
            per_article.update(f"{week}/{s}" for s in turn.sources)
        else:
            assert "refusal" in case.tags and ABSENT.search(case.note), case.id
        per_week[week, turn.answerable] += 1
    for week in DEV_WEEKS:
        assert per_week[week, True] >= 20 and per_week[week, False] >= 8, week
    assert sum(n for (_, a), n in per_week.items() if a) >= 100
    assert sum(n for (_, a), n in per_week.items() if not a) >= 40
    assert max(per_article.values()) <= 3, per_article.most_common(3)
    assert sum("off-topic" in c.tags for c in cases) >= 8


def test_every_gold_span_is_in_a_source_of_its_week(corpus: Path) -> None:
    for case in _cases():
        turn = case.turns[0]
        if not turn.answerable:
            continue
        texts = _texts(corpus, _week(case))
        assert all(s in texts for s in turn.sources), (case.id, turn.sources)
        assert any(matches_groups(texts[s], turn.answer_any) for s in turn.sources), (
            case.id,
            turn.answer_any,
        )


def test_no_article_of_its_week_holds_a_refusals_key_words(corpus: Path) -> None:
    for case in _cases():
        match = ABSENT.search(case.note)
        if case.turns[0].answerable or match is None:
            continue
        words = [normalize(w) for w in match.group(1).split(" + ")]
        texts = _normalized(corpus, _week(case))
        holding = [n for n, t in texts.items() if all(w in t for w in words)]
        assert holding == [], (case.id, words, holding)
