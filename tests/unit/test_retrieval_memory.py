"""MemoryIndex: the dependency-light retriever other layers test against."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.retrieval.memory import MemoryIndex
from assistant.settings import load_settings
from assistant.types import Article, Chunk, Filters, chunk_id
from tests.unit.retrieval_fakes import write_articles


def doc(aid: str, outlet: str, published: str, *paras: str) -> tuple[Article, str, list[Chunk]]:
    text = "\n\n".join(paras)
    article = Article(aid, f"/{aid}.txt", f"Title {aid}", outlet, published)
    chunks, pos = [], 0
    for i, p in enumerate(paras):
        start = text.index(p, pos)
        chunks.append(Chunk(chunk_id(aid, i), aid, i, p, start, start + len(p), article.title,
                            outlet, published))  # fmt: skip
        pos = start + len(p)
    return article, text, chunks


@pytest.fixture
def index() -> MemoryIndex:
    return MemoryIndex(
        [
            doc("a", "Globe", "2024-01-05", "Wheat prices rose.", "The port strike ended."),
            doc("b", "Planet", "2024-03-01", "Solar tariffs were raised.", "Wheat exports fell."),
            doc("c", "", "", "Wheat wheat wheat everywhere."),
        ]
    )


def test_retrieves_ranked_hits_with_offsets(index: MemoryIndex) -> None:
    hits = index.retrieve("wheat", 5)
    assert [h.rank for h in hits] == [1, 2, 3]
    assert hits[0].chunk.article_id == "c"
    assert {h.chunk.id for h in hits} == {"a#0000", "b#0001", "c#0000"}
    for h in hits:
        text = index.article_text(h.chunk.article_id)
        assert text is not None and text[h.chunk.start : h.chunk.end] == h.chunk.text
    assert index.retrieve("wheat", 1)[0].chunk.id == "c#0000"
    assert index.retrieve("zebra", 5) == [] and index.retrieve("the", 5) == []


def test_filters_match_filters_accepts(index: MemoryIndex) -> None:
    assert [h.chunk.id for h in index.retrieve("wheat", 5, Filters(outlets=("globe",)))] == [
        "a#0000"
    ]
    since = index.retrieve("wheat", 5, Filters(since="2024-02-01"))
    assert [h.chunk.id for h in since] == ["b#0001"]
    assert index.retrieve("wheat", 5, Filters(until="2023-12-31")) == []


def test_facade_and_source(index: MemoryIndex) -> None:
    assert index.retriever is index and index.source is index
    assert index.stats()["articles"] == 3 and index.stats()["chunks"] == 5
    assert not index.is_empty() and MemoryIndex().is_empty()
    art = index.article("b")
    assert art is not None and art.outlet == "Planet"
    assert index.article("zzz") is None
    assert [(a.id, n) for a, n in index.list_articles()] == [("a", 2), ("b", 2), ("c", 1)]
    with pytest.raises(ValueError):
        index.add(*doc("a", "", "", "again"))


def test_from_paths_uses_ingest(tmp_path: Path) -> None:
    write_articles(tmp_path / "arts", 3)
    index = MemoryIndex.from_paths([tmp_path / "arts"], load_settings())
    assert index.stats()["articles"] == 3
    hits = index.retrieve("solar tariff", 3)
    assert hits and hits[0].chunk.article_id == "gen_002.md"
