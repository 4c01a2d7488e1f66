"""The scorer's training: held-out refusals never contain the gold; the short-answer model
learns within a question and leads only where its spans are right more often than wrong."""

from __future__ import annotations

import numpy as np

from assistant.types import Chunk, Hit
from evals.train_scorer import (
    SpanExample,
    _linear,
    choose_span_threshold,
    fit_listwise,
    span_metrics,
    span_out_of_fold,
    without_gold,
)


def _hit(article_id: str, text: str, rank: int) -> Hit:
    chunk = Chunk(
        id=f"{article_id}:{rank}", article_id=article_id, index=rank, text=text, start=0,
        end=len(text),
    )
    return Hit(chunk, 1.0 / rank, rank)


def test_held_out_pool_drops_gold_articles_and_any_passage_with_the_gold() -> None:
    case = {"sources": ["gold.md"], "answer_any": [["Jeff Saturday"]]}
    hits = [
        _hit("gold.md", "The Colts named a new coach.", 1),
        _hit("other.md", "Jeff Saturday will coach the Colts.", 2),  # gold text elsewhere
        _hit("other.md", "The Colts fired Frank Reich on Monday.", 3),
        _hit("third.md", "Indianapolis plays on Sunday.", 4),
    ]
    kept = without_gold(hits, case)
    assert [h.rank for h in kept] == [3, 4]


def _group(week: str, right: int, rows: list[list[float]]) -> SpanExample:
    labels = np.zeros(len(rows), dtype=bool)
    labels[right] = True
    return SpanExample(week, True, np.array(rows, dtype=float), labels, False)


def test_the_listwise_span_model_learns_which_candidate_of_a_question_is_right() -> None:
    # Feature 0 marks the right span, but only relative to the question's other spans: its
    # level moves from question to question, so a pointwise cut on it would fail.
    rng = np.random.default_rng(7)
    groups = []
    for n in range(40):
        rows = rng.normal(size=(4, 2)).tolist()
        base = float(n % 5)
        for row in rows:
            row[0] = base + rng.uniform(0, 0.5)
        right = int(rng.integers(4))
        rows[right][0] = base + 1.0
        groups.append(_group("w1" if n % 2 else "w2", right, rows))
    model = _linear(fit_listwise(groups))
    for g in groups:
        shares = model.shares(g.rows)
        assert abs(float(shares.sum()) - 1.0) < 1e-9
        assert g.labels[int(np.argmax(shares))]
    picks = span_out_of_fold(groups)
    assert len(picks) == len(groups) and all(right for _, right, _ in picks)


def test_a_short_answer_leads_from_where_shown_spans_are_right_more_often_than_wrong() -> None:
    dummy = _group("w", 0, [[0.0]])
    picks = [(0.9, True, dummy), (0.8, True, dummy), (0.7, False, dummy), (0.6, True, dummy),
             (0.5, False, dummy), (0.4, False, dummy), (0.3, False, dummy)]
    t = choose_span_threshold(picks)
    assert t == 0.6  # shown: 3 right, 1 wrong (net 2); from 0.8 it is 2 right, 0 wrong (net 2)
    metrics = span_metrics(picks, t)
    assert (metrics["shown"], metrics["shown_right"]) == (4.0, 3.0)
    assert choose_span_threshold([(0.9, False, dummy)]) > 1.0  # never right: never shown
