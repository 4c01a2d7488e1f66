"""The benchmark code runs: the corpus generator is deterministic and one tiny ingest benchmark
returns results of the expected shape. Nothing here asserts on times."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.settings import load_settings
from bench import ingest_bench
from bench.common import percentile, summary_ms
from bench.corpus import ComposedEmbedder, articles, seed_sentences, write_corpus


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    return seed_sentences(load_settings())


def test_generator_is_deterministic_and_sized(sentences: list[str], tmp_path: Path) -> None:
    first = list(articles(sentences, 50, seed=3))
    assert first == list(articles(sentences, 50, seed=3))
    assert first != list(articles(sentences, 50, seed=4))
    assert len(first) == 5
    name, text = first[0]
    assert name.endswith(".md") and text.startswith("---\ntitle:")
    assert write_corpus(tmp_path / "c", sentences, 50) == 5
    assert len(list((tmp_path / "c").rglob("*.md"))) == 5


def test_composed_vectors_are_unit_length(sentences: list[str]) -> None:
    rng = np.random.default_rng(0)
    embedder = ComposedEmbedder("fake", sentences, rng.normal(size=(len(sentences), 8)))
    out = embedder.embed_documents([" ".join(sentences[:3]), "no known sentence here"])
    assert out.shape == (2, 8)
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert (embedder.composed, embedder.borrowed) == (1, 1)


def test_tiny_ingest_benchmark(sentences: list[str], tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write_corpus(corpus, sentences, 50)
    vectors = tmp_path / "vectors.npz"
    rng = np.random.default_rng(0)
    np.savez(
        vectors,
        sentences=np.array(sentences, dtype=object),
        vectors=rng.normal(size=(len(sentences), 384)).astype(np.float32),
    )
    result = ingest_bench.measure(corpus, vectors)
    assert result["mode"] == "composed"
    assert result["articles"] == 5 and 40 <= result["chunks"] <= 60
    assert result["failed"] == 0
    for key in ("seconds", "chunks_per_s", "write_phase_s", "rss_peak_mb", "vm_hwm_mb"):
        assert result[key] >= 0
    assert result["rss_timeline"]


def test_percentiles() -> None:
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([1.0, 2.0], 95) == pytest.approx(1.95)
    assert set(summary_ms([0.1, 0.2])) == {"n", "p50_ms", "p95_ms", "mean_ms"}
