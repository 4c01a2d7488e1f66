"""Retrieval recall@6 with the fp32 and the int8 MiniLM graphs, on the same suites and corpora.

    .venv/bin/python bench/quantized_recall.py --out bench/quantized_recall.json \
        [--suite evals/seeds.yaml=seeds] [--suite WEEK.yaml=CORPUS_DIR ...]

Each (suite, graph) pair gets a fresh data dir: the corpus is ingested with that graph and the
suite asked with the extractive backend; recall@6 is the eval runner's ``recall_at_k`` (share of
gold articles among the first 6 distinct retrieved). int8 may become the default only if it
loses at most 1 point on every suite.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def truncate_at(max_tokens: int) -> None:
    """Make every MiniLM embedder in this process read at most ``max_tokens`` tokens a text
    (the package's limit is 256): the "embed fewer tokens" candidate, bench-only."""
    from assistant.retrieval.embeddings import MiniLMOnnxEmbedder

    original = MiniLMOnnxEmbedder._ensure_tokenizer

    def ensure(self: MiniLMOnnxEmbedder) -> Any:
        tokenizer = original(self)
        tokenizer.enable_truncation(max_length=max_tokens)
        return tokenizer

    MiniLMOnnxEmbedder._ensure_tokenizer = ensure  # type: ignore[method-assign]


def measure(suite: Path, corpus: Path, quantized: bool, models: Path) -> dict[str, Any]:
    from assistant.answer.service import Assistant
    from assistant.retrieval.indexer import sync
    from assistant.settings import load_settings
    from evals.runner import run_cases
    from evals.suite import load_suites

    with tempfile.TemporaryDirectory(prefix="qrecall-") as tmp:
        settings = load_settings(
            data_dir=Path(tmp),
            model_cache_dir=models,
            embedding={"quantized": quantized},
            answer={"backend": "extractive"},
        )
        started = time.perf_counter()
        report = sync([corpus], settings)
        ingest_s = time.perf_counter() - started
        assistant = Assistant.from_settings(settings)
        run = run_cases(
            load_suites([suite]), assistant, suites=[str(suite)], k=6, corpus_dirs=[corpus]
        )
        summary = run.summary
    return {
        "suite": str(suite),
        "corpus": str(corpus),
        "quantized": quantized,
        "chunks": report.chunks,
        "ingest_s": round(ingest_s, 1),
        "recall_at_6": summary["recall_at_k"],
        "gold_hit_at_6": summary["gold_hit_at_k"],
        "answer_correctness": summary["answer_correctness"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--suite", action="append", default=[], help="SUITE.yaml=CORPUS_DIR")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--models", type=Path, default=None)
    parser.add_argument(
        "--graph",
        action="append",
        choices=("fp32", "int8"),
        default=[],
        help="only these graphs (default both); rows of separate runs can be concatenated",
    )
    parser.add_argument(
        "--max-tokens", type=int, default=0, help="truncate texts at this many tokens (bench)"
    )
    args = parser.parse_args()
    if args.max_tokens:
        truncate_at(args.max_tokens)
    pairs = [tuple(map(Path, s.split("=", 1))) for s in args.suite] or [
        (ROOT / "evals/seeds.yaml", ROOT / "seeds")
    ]
    models = args.models or Path(tempfile.mkdtemp(prefix="qrecall-models-"))
    rows = []
    for suite, corpus in pairs:
        for quantized in [g == "int8" for g in args.graph or ("fp32", "int8")]:
            row = measure(suite, corpus, quantized, models)
            if args.max_tokens:
                row["max_tokens"] = args.max_tokens
            print(json.dumps(row), flush=True)
            rows.append(row)
    args.out.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
