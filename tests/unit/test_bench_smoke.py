"""The benchmark code runs: the corpus generator is deterministic and one tiny ingest benchmark
returns results of the expected shape. Nothing here asserts on times."""

from __future__ import annotations

import json
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


def test_int8_verdict_follows_the_one_point_rule(tmp_path: Path) -> None:
    from bench.ingest_speed import RULE_SUITES, recall_lines

    def rows(drops: dict[str, float]) -> Path:
        out = []
        for suite, drop in drops.items():
            for quantized, recall in ((False, 0.5), (True, 0.5 - drop / 100)):
                out.append(
                    {
                        "suite": f"evals/{suite}",
                        "quantized": quantized,
                        "recall_at_6": recall,
                        "answer_correctness": 0.3,
                    }
                )
        path = tmp_path / "recall.json"
        path.write_text(json.dumps(out), encoding="utf-8")
        return path

    every = dict.fromkeys(RULE_SUITES, 0.5)
    assert "at most 1 point" in "\n".join(recall_lines(rows(every)))
    one_bad = {**every, "realtimeqa-20220916.yaml": 1.5}
    assert "stays opt-in: recall@6 drops by more than 1 point on realtimeqa-20220916.yaml" in (
        "\n".join(recall_lines(rows(one_bad)))
    )
    del every["realtimeqa-20230106.yaml"]
    assert "Not decided: recall@6 not measured on realtimeqa-20230106.yaml" in (
        "\n".join(recall_lines(rows(every)))
    )


def test_ingest_speed_section_reports_ratios_and_the_ceiling_share() -> None:
    from bench.ingest_speed import section

    stages = {
        "prepare_s": 1.0,
        "chroma_write_s": 1.0,
        "bm25_s": 1.0,
        "chunks": 100,
        "tokens": 10_000,
        "gemm_gflops": 80.0,
        "mflop_per_token": 20.0,
        "ceiling_tokens_per_s": 4000.0,
        "embed_before_s": 10.0,
        "embed_fp32_s": 5.0,
        "embed_int8_s": 2.5,
    }
    e2e = {
        label: {"seconds": s, "chunks": 100, "chunks_per_s": 100 / s}
        for label, s in (("before", 20.0), ("fp32", 10.0), ("int8", 5.0))
    }
    text = section(
        {
            "weeks": ["20220715", "20220916"],
            "articles": 80,
            "date": "d",
            "cores": 2,
            "load_avg_at_start": [1.0, 1.0, 1.0],
            "load_avg_at_end": [1.0, 1.0, 1.0],
            "stages": stages,
            "end_to_end": e2e,
        }
    )
    assert "= 4,000 tokens/s for fp32" in text
    assert "| 2,000 (50%) | 10.0 | 10.0 | 2.00x | 2.00x |" in text  # fused fp32
    assert "| 4,000 (100%) | 5.0 | 20.0 | 4.00x | 4.00x |" in text  # int8
