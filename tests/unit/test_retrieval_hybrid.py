"""Hybrid retrieval over a real embedded Chroma store with a hashing embedder."""

from __future__ import annotations

import dataclasses
import itertools
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.retrieval import indexer
from assistant.retrieval.catalog import Catalog
from assistant.retrieval.chroma_store import ChromaStore, day_number, where_for
from assistant.retrieval.hybrid import rrf
from assistant.retrieval.index import Index, open_index
from assistant.settings import Settings, load_settings
from assistant.types import Filters
from tests.conftest import ROOT
from tests.unit.retrieval_fakes import (
    HashEmbedder,
    article_id,
    write_articles,
)


def test_rrf_sums_weighted_reciprocal_ranks() -> None:
    fused = rrf([(1.0, ["a", "b"]), (2.0, ["b", "c"])], rrf_k=60)
    assert fused["a"] == pytest.approx(1 / 61)
    assert fused["b"] == pytest.approx(1 / 62 + 2 / 61)
    assert fused["c"] == pytest.approx(2 / 62)


def test_where_clause_mirrors_filters() -> None:
    assert where_for(None) is None and where_for(Filters()) is None
    assert where_for(Filters(outlets=("Globe",))) == {"outlet_key": {"$in": ["globe"]}}
    where = where_for(Filters(since="2024-01-01", until="2024-02-01"))
    assert where == {
        "$and": [{"day": {"$gt": 0}}, {"day": {"$gte": 20240101}}, {"day": {"$lte": 20240201}}]
    }
    assert day_number("2024-03-05T10:00:00Z") == 20240305
    assert day_number("2024") == 20240000 and day_number("") == 0


@pytest.fixture
def built(tmp_path: Path) -> tuple[Settings, Index]:
    settings = load_settings()
    write_articles(tmp_path / "arts", 10)
    indexer.sync([tmp_path / "arts"], settings, embedder=HashEmbedder())
    return settings, open_index(settings, embedder=HashEmbedder())


def test_hits_are_ranked_fused_and_verifiable(built: tuple[Settings, Index]) -> None:
    _, index = built
    hits = index.retriever.retrieve("solar tariff story number 7", 5)
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
    assert hits[0].chunk.article_id == article_id(7)
    assert all(a.score >= b.score for a, b in itertools.pairwise(hits))
    for h in hits:
        text = index.source.article_text(h.chunk.article_id)
        assert text is not None and text[h.chunk.start : h.chunk.end] == h.chunk.text
    assert index.retriever.retrieve("   ", 5) == []


def test_hits_carry_the_dense_cosine_or_its_bound(built: tuple[Settings, Index]) -> None:
    settings, index = built
    query = "solar tariff story number 7"
    vector = HashEmbedder().embed_query(query)
    dense = {h.chunk.id: 1.0 - h.distance for h in ChromaStore(settings).query(vector, 3)}
    retriever = index.retriever
    retriever.settings = retriever.settings.model_copy(update={"fetch_k": 3})
    hits = retriever.retrieve(query, 3)
    assert any(h.chunk.id not in dense for h in hits)  # BM25 alone found some
    for h in hits:
        assert h.similarity == pytest.approx(dense.get(h.chunk.id, min(dense.values())))
    assert hits[0].to_dict()["similarity"] == hits[0].similarity


def test_filters_apply_to_both_rankings(built: tuple[Settings, Index]) -> None:
    _, index = built
    f = Filters(outlets=("daily planet",))
    hits = index.retriever.retrieve("wheat harvest", 8, f)
    assert hits and all(h.chunk.outlet == "Daily Planet" for h in hits)
    dated = Filters(since="2024-03-01", until="2024-04-30")
    hits = index.retriever.retrieve("story", 20, dated)
    assert hits and all("2024-03-01" <= h.chunk.published <= "2024-04-30" for h in hits)


def test_stale_bm25_hits_are_dropped(built: tuple[Settings, Index]) -> None:
    settings, index = built
    ChromaStore(settings).delete_article(article_id(2))  # as if killed after the Chroma delete
    hits = index.retriever.retrieve("solar tariff story number 2", 10)
    assert hits and all(h.chunk.article_id != article_id(2) for h in hits)


def test_chunks_of_an_uncommitted_version_are_ignored(built: tuple[Settings, Index]) -> None:
    settings, index = built
    cat = Catalog(settings.index_db)
    article = cat.article(article_id(4))
    assert article is not None
    cat.put(dataclasses.replace(article, content_hash="other"), "x", 1)
    hits = index.retriever.retrieve("river flood story number 4", 10)
    assert hits and all(h.chunk.article_id != article_id(4) for h in hits)


def test_query_path_stays_light(built: tuple[Settings, Index]) -> None:
    code = (
        "import sys\n"
        "from assistant.settings import load_settings\n"
        "from assistant.retrieval.index import open_index\n"
        "from tests.unit.retrieval_fakes import HashEmbedder\n"
        "index = open_index(load_settings(), embedder=HashEmbedder())\n"
        "assert index.retriever.retrieve('wheat harvest', 3)\n"
        "heavy = ('langchain_chroma', 'langchain_core', 'langsmith', 'bm25s', 'scipy')\n"
        "bad = [m for m in heavy if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120, cwd=ROOT)
