"""The embedding section of ``run_all``: conversion, GEMM ceiling, tokens/s, length sorting.

The measuring functions are ``bench/embed_bench.py``'s; this picks a subset that fits the
20-minute budget of ``make bench`` (``embed_bench.py`` alone runs the full sweep).
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from bench import embed_bench as eb

GOAL_TOKENS_PER_S = 4000


def gemm_gflops(m: int, k: int, n: int, runs: int = 15) -> tuple[float, float]:
    """(best, median) GFLOP/s of a float32 ``(m,k) @ (k,n)``. Noise only ever slows a run,
    so the best is the closest to what the cores can do; the median is what we got."""
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.random((m, k), dtype=np.float32)
    b = rng.random((k, n), dtype=np.float32)
    a @ b
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    flop = 2 * m * k * n
    return flop / min(times) / 1e9, flop / statistics.median(times) / 1e9


def spread(embedder: Any, texts: list[str], runs: int) -> dict[str, float]:
    """tokens/s of ``embed_documents(texts)``: best and median of ``runs``."""
    embedder.embed_documents(texts[:32])
    tokens = embedder.count_tokens(texts)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        embedder.embed_documents(texts)
        times.append(time.perf_counter() - start)
    return {
        "texts": len(texts),
        "tokens": tokens,
        "best_tokens_per_s": tokens / min(times),
        "median_tokens_per_s": tokens / statistics.median(times),
    }


def measure(settings: Any, quick: bool = False, runs: int = 3) -> dict[str, Any]:
    """``settings.models_dir`` should be empty: the first ``prepare`` is a fresh install's."""
    from assistant.retrieval.embeddings import MiniLMOnnxEmbedder

    start = time.perf_counter()
    default = MiniLMOnnxEmbedder(settings)
    default.prepare()
    first_use_s = time.perf_counter() - start
    chunks, source = eb.seed_chunks(settings)
    if quick:
        runs = 1
    generated = eb.generated_texts(settings, n=64 if quick else 200)
    # The model's own shape: a batch of 64 texts of ~130 tokens through the MLP's up-projection.
    gemm, gemm_median = gemm_gflops(64 * 128, 384, 1536)
    square_best, square_median = gemm_gflops(1024, 1024, 1024)
    seeds = {"source": source, **eb.throughput(default, chunks, runs)}
    gen = eb.throughput(default, generated, runs)
    sample = generated[: 64 if quick else 96]
    ordering = {}
    for sort in (True, False):
        embedder = MiniLMOnnxEmbedder(settings, batch_size=default.batch_size, sort_by_length=sort)
        ordering["sorted" if sort else "unsorted"] = eb.throughput(embedder, sample, runs)
    best = spread(default, generated[:128], 3 if quick else 5)
    mean_len = gen["mean_tokens"]
    flop = eb.DENSE_FLOP_PER_TOKEN + eb.attention_flop_per_token(mean_len)
    ceiling = gemm * 1e9 / flop
    return {
        "first_use_s": first_use_s,
        "threads": default.threads,
        "batch": default.batch_size,
        "gemm_gflops": gemm,
        "gemm_gflops_median": gemm_median,
        "gemm_square_gflops": square_best,
        "gemm_square_gflops_median": square_median,
        "spread": best,
        "ceiling_tokens_per_s_median": gemm_median * 1e9 / flop,
        "dense_mflop_per_token": eb.DENSE_FLOP_PER_TOKEN / 1e6,
        "mflop_per_token_at_mean": flop / 1e6,
        "ceiling_tokens_per_s": ceiling,
        "goal_tokens_per_s": GOAL_TOKENS_PER_S,
        "gflops_needed_for_goal": GOAL_TOKENS_PER_S * flop / 1e9,
        "seeds": seeds,
        "generated": gen,
        "efficiency": best["best_tokens_per_s"] / ceiling,
        "ordering": ordering,
        "query_latency_ms": eb.query_latency_ms(default),
    }
