"""Answer-type agreement for "which X" questions: the question's head noun (state, company,
team) read without a model, the spans a sentence binds to it ("the state of Oregon", "Acme,
the company"), and the fitted scorer preferring the sentence that binds one. Generic
sentences only; no seed wording."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from assistant.answer.question import analyse, head_noun
from assistant.answer.scorer import FEATURES, Weights, best, feature_rows, packaged_weights, score
from assistant.answer.sentence_pool import candidates
from assistant.answer.spans import head_spans
from assistant.retrieval.memory import MemoryIndex
from assistant.settings import load_settings
from assistant.text.tokens import stem
from assistant.types import Hit


@pytest.mark.parametrize(
    ("question", "head"),
    [
        ("Which island nation plunged into chaos this week?", "nation"),
        ("Which show received the most awards?", "show"),  # a past tense ends the noun phrase
        ("Which actor won the prize?", "actor"),  # an irregular one too
        ("Which Ivy League university recently admitted an error?", "university"),
        ("Which country's lawmakers urged a crackdown?", "country"),  # the possessor
        ("What type of renewable energy reached a record?", "energy"),  # "type of" skipped
        ("Which two countries signed the pact?", "countries"),
        ("Which Republican lost the vote?", "Republican"),  # no lowercase noun: the name
        ("What team does she play for?", "team"),
        ("Who won the race?", ""),
        ("What is it called?", ""),
    ],
)
def test_head_noun_is_the_noun_after_which_or_what(question: str, head: str) -> None:
    assert head_noun(question) == (stem(head.lower()) if head else "")
    assert analyse(question).head == head_noun(question)


@pytest.mark.parametrize(
    ("sentence", "head", "bound"),
    [
        ("Voters in the state of Oregon approved the measure.", "state", ["Oregon"]),
        ("The Denver-based company cut 300 jobs.", "company", ["Denver-based"]),
        ("Acme, the software company, cut 300 jobs.", "company", ["Acme"]),
        ("Acme is a company that builds drones.", "company", ["Acme"]),
        ("The company Acme cut 300 jobs.", "company", ["Acme"]),
        ("She died at the Saint Clare Hospital in Lyon.", "hospital", ["Saint Clare Hospital"]),
        # not bound: a preposition other than "of", a clause break, a role noun between
        ("He died at a hospital in Lyon.", "hospital", []),
        ("The company grew; Maria Lopez left in May.", "company", []),
        ("Company spokesman Dan Reyes declined to comment.", "company", []),
        ("Acme cut 300 jobs.", "", []),
    ],
)
def test_head_spans_are_the_spans_the_noun_is_bound_to(
    sentence: str, head: str, bound: list[str]
) -> None:
    found = [sentence[s.start : s.end] for s in head_spans(sentence, stem(head) if head else "")]
    assert found == bound


ARTICLES = {  # retrieval ranks are set by file name: a, b, c
    "a-rules.md": "Residents praised the new rules at a meeting in the capital.\n",
    "b-water.md": "Officials at Brightwater Holdings welcomed the water law on Tuesday.\n",
    # A passage below the other, so without the head-noun features nothing prefers it.
    "c-water.md": "Lawmakers in the state of Oregon welcomed the water law on Tuesday.\n",
}
QUESTION = "Which state welcomed the water law?"


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder: Path = tmp_path_factory.mktemp("headnoun")
    for name, body in ARTICLES.items():
        (folder / name).write_text(f"---\ntitle: Water law\n---\n{body}", encoding="utf-8")
    index = MemoryIndex.from_paths([folder], load_settings())
    hits = sorted(index.retrieve(QUESTION, 20), key=lambda h: h.chunk.article_id)
    return candidates([Hit(h.chunk, h.score, n) for n, h in enumerate(hits, 1)], index)


def _bound(pool) -> int:  # type: ignore[no-untyped-def]
    return next(i for i, c in enumerate(pool.items) if "Oregon" in c.text)


def test_head_features_mark_the_sentence_that_binds_the_head(pool) -> None:  # type: ignore[no-untyped-def]
    rows = feature_rows(analyse(QUESTION), pool)
    head_sentence, head_span = FEATURES.index("head_sentence"), FEATURES.index("head_span")
    i = _bound(pool)
    assert rows[i, head_sentence] == 1.0 and rows[i, head_span] == 1.0
    others = np.delete(rows, i, axis=0)
    assert not others[:, head_sentence].any() and not others[:, head_span].any()
    # a question that names no kind gets no head-noun evidence
    assert not feature_rows(analyse("Who welcomed the water law?"), pool)[:, head_span].any()


def _without_head(weights: Weights) -> Weights:
    coef = list(weights.sentence.coef)
    for name in ("head_sentence", "head_span"):
        coef[FEATURES.index(name)] = 0.0
    return replace(weights, sentence=replace(weights.sentence, coef=coef))


def test_the_fitted_scorer_prefers_the_span_of_the_asked_kind(pool) -> None:  # type: ignore[no-untyped-def]
    weights = packaged_weights()
    score(analyse(QUESTION), pool, _without_head(weights))
    top = best(pool)
    assert top is not None and "Oregon" not in top.text  # the case needs the new features
    score(analyse(QUESTION), pool, weights)
    top = best(pool)
    assert top is not None and "Oregon" in top.text
