"""Per-stage retrieval recall: the retriever's stage_hits and the runner's use of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.retrieval import indexer
from assistant.retrieval.index import open_index
from assistant.settings import load_settings
from assistant.types import Filters, Hit
from evals.runner import run_cases
from evals.suite import Case, TurnSpec
from tests.unit.evals_fakes import FakeAssistant, cite, hits, reply
from tests.unit.retrieval_fakes import HashEmbedder, article_id, write_articles


def test_stage_hits_rank_each_stage_alone_and_fused(tmp_path: Path) -> None:
    settings = load_settings()
    write_articles(tmp_path / "arts", 10)
    indexer.sync([tmp_path / "arts"], settings, embedder=HashEmbedder())
    retriever = open_index(settings, embedder=HashEmbedder()).retriever
    stages = retriever.stage_hits("solar tariff story number 7", 4)  # type: ignore[attr-defined]
    assert set(stages) == {"dense", "bm25", "fused"}
    assert all([h.rank for h in found] == [1, 2, 3, 4] for found in stages.values())
    assert stages["bm25"][0].chunk.article_id == article_id(7)
    fused = retriever.retrieve("solar tariff story number 7", 4)
    assert [h.chunk.id for h in stages["fused"]] == [h.chunk.id for h in fused]
    only = Filters(outlets=("daily planet",))
    for found in retriever.stage_hits("wheat harvest", 5, only).values():  # type: ignore[attr-defined]
        assert found and all(h.chunk.outlet == "Daily Planet" for h in found)


class StagedRetriever:
    """Dense finds b.txt only, BM25 finds a.txt first."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, Any]] = []

    def stage_hits(self, query: str, k: int, filters: Filters | None) -> dict[str, list[Hit]]:
        self.calls.append((query, k, filters))
        return {"dense": hits("b.txt"), "bm25": hits("a.txt", "b.txt"), "fused": hits("b.txt")}


def test_the_runner_records_which_stage_found_a_gold_article() -> None:
    fake = FakeAssistant(
        {
            "Who met Kerry?": reply(
                "Yang [1]", [cite("a.txt", "Yang Jiechi")], hits("b.txt", "a.txt")
            )
        }
    )
    fake.retriever = StagedRetriever()  # type: ignore[attr-defined]
    spec = TurnSpec(
        "Who met Kerry?", answer_any=(("Yang",),), sources=("a.txt",), as_of="2024-05-01"
    )
    refusal = TurnSpec("What about Mars?", answerable=False)
    report = run_cases([Case("c", (spec,)), Case("r", (refusal,))], fake, k=1)
    turn = report.cases[0].turns[0]
    assert turn.stage_hit_at_k == {"dense": False, "bm25": True, "fused": False}
    assert turn.gold_hit_at_k is False  # a.txt is retrieved second: not in the top 1
    assert report.cases[1].turns[0].stage_hit_at_k == {}  # nothing to find for a refusal
    summary = report.summary
    assert (summary["dense_hit_at_k"], summary["bm25_hit_at_k"], summary["fused_hit_at_k"]) == (
        0.0,
        1.0,
        0.0,
    )
    assert fake.retriever.calls == [("Who met Kerry?", 1, Filters(as_of="2024-05-01"))]  # type: ignore[attr-defined]
    report2 = run_cases([Case("c", (spec,))], fake, k=2)
    assert report2.summary["gold_hit_at_k"] == 1.0
