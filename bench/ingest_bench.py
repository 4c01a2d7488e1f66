"""Ingest through ``assistant.retrieval.indexer.sync`` in a fresh process: time, chunks/s, memory.

    .venv/bin/python bench/ingest_bench.py worker --corpus DIR --json OUT [--vectors NPZ]

Without ``--vectors`` the real MiniLM embeds every chunk (end-to-end). With it, chunks get
composed vectors (``bench.corpus.ComposedEmbedder``) and everything else — files, chunking,
langchain-chroma writes, catalog, BM25 — is the real code. Each run is its own process, so
its ru_maxrss is its own; RSS is also sampled every 0.1 s and split at the end of the
embed-and-write phase (the indexer's last progress call) from the BM25 rebuild after it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import PYTHON, RssSampler, isolated_env, maxrss_mb, rss_mb, vm_hwm_mb  # noqa: E402


class _Timed:
    """Wraps an embedder: seconds spent embedding and the tokens it read (counted outside)."""

    def __init__(self, inner: Any, count_tokens: bool) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.seconds = 0.0
        self.tokens = 0
        self.texts = 0
        self.batches = 0
        self._count = count_tokens

    def embed_documents(self, texts: Sequence[str]) -> Any:
        start = time.perf_counter()
        out = self.inner.embed_documents(texts)
        self.seconds += time.perf_counter() - start
        self.texts += len(texts)
        self.batches += 1
        if self._count:
            self.tokens += self.inner.count_tokens(texts)
        return out


def sentence_vectors(sentences: Sequence[str], dest: Path) -> dict[str, Any]:
    """Embed the seed sentences once with the real model and save them for the workers."""
    import numpy as np

    from assistant.retrieval.embeddings import MiniLMOnnxEmbedder
    from assistant.settings import load_settings

    embedder = MiniLMOnnxEmbedder(load_settings())
    start = time.perf_counter()
    vectors = embedder.embed_documents(list(sentences))
    seconds = time.perf_counter() - start
    np.savez(dest, sentences=np.array(sentences, dtype=object), vectors=vectors)
    return {"sentences": len(sentences), "seconds": seconds, "name": embedder.name}


def measure(corpus: Path, vectors: Path | None = None) -> dict[str, Any]:
    """Ingest ``corpus`` into the index the environment's settings name, in this process."""
    with RssSampler() as sampler:
        from assistant.retrieval.indexer import sync
        from assistant.settings import load_settings

        settings = load_settings()
        if vectors is None:
            from assistant.retrieval.embeddings import MiniLMOnnxEmbedder

            real = MiniLMOnnxEmbedder(settings)
            real.prepare()
            embedder = _Timed(real, count_tokens=True)
        else:
            import numpy as np

            from assistant.retrieval.embeddings import MiniLMOnnxEmbedder
            from bench.corpus import ComposedEmbedder

            data = np.load(vectors, allow_pickle=True)
            composed = ComposedEmbedder(
                MiniLMOnnxEmbedder.fp32_name, list(data["sentences"]), data["vectors"]
            )
            embedder = _Timed(composed, count_tokens=False)
        ready = sampler.mark()
        ready_at = sampler.elapsed()
        write_end = [0.0]

        def progress(done: int, total: int, name: str) -> None:
            if done == total and not name:
                write_end[0] = sampler.elapsed()

        start = time.perf_counter()
        report = sync([corpus], settings, embedder=embedder, progress=progress)
        seconds = time.perf_counter() - start
    chunks = report.chunks
    write_s = write_end[0] - ready_at
    result = {
        "mode": "composed" if vectors is not None else "end-to-end",
        "articles": report.articles,
        "chunks": chunks,
        "failed": len(report.failed),
        "seconds": seconds,
        "chunks_per_s": chunks / seconds if seconds else 0.0,
        "write_phase_s": write_s,
        "bm25_phase_s": seconds - write_s,
        "embed_s": embedder.seconds,
        "embed_batches": embedder.batches,
        "tokens": embedder.tokens,
        "tokens_per_s": embedder.tokens / embedder.seconds if embedder.tokens else None,
        "embed_chunks_per_s": embedder.texts / embedder.seconds if embedder.seconds else None,
        "rss_ready_mb": ready,
        "rss_peak_write_mb": sampler.peak(until=write_end[0]),
        "rss_peak_mb": sampler.peak(),
        "rss_end_mb": rss_mb(),
        "vm_hwm_mb": vm_hwm_mb(),
        "ru_maxrss_mb": maxrss_mb(),
        "rss_timeline": _thin(sampler.samples, 200),
    }
    if vectors is not None:
        result["composed_chunks"] = embedder.inner.composed
        result["borrowed_chunks"] = embedder.inner.borrowed
    return result


def _thin(samples: list[tuple[float, float]], most: int) -> list[tuple[float, float]]:
    step = max(1, len(samples) // most)
    return [(round(t, 2), round(v, 1)) for t, v in samples[::step]]


def run(
    corpus: Path,
    data_dir: Path,
    models_dir: Path,
    *,
    vectors: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One ingest of ``corpus`` into ``data_dir`` in a child process; its result dict."""
    out = data_dir.parent / f"{data_dir.name}.ingest.json"
    cmd = [PYTHON, str(Path(__file__)), "worker", "--corpus", str(corpus), "--json", str(out)]
    if vectors is not None:
        cmd += ["--vectors", str(vectors)]
    env = isolated_env(data_dir, models_dir, **(extra_env or {}))
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"ingest worker failed ({done.returncode}): {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    result["process_wall_s"] = wall
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="cmd", required=True)
    worker = sub.add_parser("worker")
    worker.add_argument("--corpus", type=Path, required=True)
    worker.add_argument("--json", type=Path, required=True)
    worker.add_argument("--vectors", type=Path)
    args = parser.parse_args(argv)
    result = measure(args.corpus, args.vectors)
    args.json.write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
