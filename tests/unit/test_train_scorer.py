"""The scorer's training data: held-out refusals never contain the gold."""

from __future__ import annotations

from assistant.types import Chunk, Hit
from evals.train_scorer import without_gold


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
