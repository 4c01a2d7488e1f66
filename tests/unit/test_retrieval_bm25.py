"""BM25: tokenising, building the score matrix, scoring from the saved arrays with numpy alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from assistant.retrieval import bm25
from assistant.types import Chunk, Filters, chunk_id


def make_chunk(article: str, i: int, text: str, outlet: str = "", published: str = "") -> Chunk:
    return Chunk(chunk_id(article, i), article, i, text, 0, len(text), "T", outlet, published)


CORPUS = [
    (
        make_chunk("a", 0, "Wheat prices rose after the harvest failed.", "Globe", "2024-01-05"),
        "h1",
    ),
    (make_chunk("a", 1, "The port strike ended on Tuesday.", "Globe", "2024-01-05"), "h1"),
    (make_chunk("b", 0, "Tariffs on solar panels were raised.", "Planet", "2024-03-01"), "h2"),
    (make_chunk("b", 1, "Officials said wheat exports would fall.", "Planet", ""), "h2"),
]


def test_tokenize_lowercases_drops_stopwords_and_stems() -> None:
    assert bm25.tokenize("The Tariffs are RISING in cities") == ["tariff", "rise", "citi"]
    assert bm25.tokenize("") == []


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    d = tmp_path / "bm25"
    assert bm25.build(d, CORPUS) == 4
    return d


def test_search_ranks_matching_chunks_and_keeps_metadata(index_dir: Path) -> None:
    index = bm25.load(index_dir)
    assert index is not None and len(index) == 4
    hits = index.search("wheat harvest", 10)
    assert [h.chunk.id for h in hits] == ["a#0000", "b#0001"]
    assert hits[0].score > hits[1].score > 0
    assert hits[0].chunk == CORPUS[0][0]
    assert hits[0].content_hash == "h1"
    assert index.search("nothing matches zebra", 10) == []


def test_search_post_filters_over_all_candidates(index_dir: Path) -> None:
    index = bm25.load(index_dir)
    assert index is not None
    hits = index.search("wheat", 1, Filters(outlets=("planet",)).accepts)
    assert [h.chunk.id for h in hits] == ["b#0001"]
    assert index.search("wheat", 5, Filters(since="2024-02-01").accepts) == []


def test_load_is_cached_until_a_new_generation_is_published(index_dir: Path) -> None:
    first = bm25.load(index_dir)
    assert bm25.load(index_dir) is first
    bm25.build(index_dir, CORPUS[:1])
    second = bm25.load(index_dir)
    assert second is not first and second is not None and len(second) == 1
    assert len(list(index_dir.glob("gen-*"))) <= 2


def test_empty_and_missing_indexes(tmp_path: Path) -> None:
    assert bm25.load(tmp_path / "nothing") is None
    bm25.build(tmp_path / "empty", [])
    index = bm25.load(tmp_path / "empty")
    assert index is not None and index.search("wheat", 5) == []


def test_query_path_imports_neither_bm25s_nor_scipy(index_dir: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from assistant.retrieval import bm25\n"
        f"hits = bm25.load(Path({str(index_dir)!r})).search('wheat', 3)\n"
        "assert hits, hits\n"
        "bad = [m for m in ('bm25s', 'scipy') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_indexing_a_chunk_leaves_the_tokenizer_cache_alone() -> None:
    from assistant.retrieval.bm25 import document_terms
    from assistant.text import tokens

    chunk = Chunk(
        id="c-cache",
        article_id="a-cache",
        index=0,
        text="Ministers rose to speak on tariffs.",
        start=0,
        end=35,
        title="Tariff talks resumed",
    )
    before = tokens._terms.cache_info().currsize
    got = document_terms(chunk)
    assert tokens._terms.cache_info().currsize == before  # not kept: each chunk comes once
    assert got == tokens.terms(f"{chunk.title}\n{chunk.text}")
