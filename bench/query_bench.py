"""Query latency on a built index: warm in one process, and cold as fresh processes.

    .venv/bin/python bench/query_bench.py warm --json OUT [--rounds 3]
    .venv/bin/python bench/query_bench.py retrieve "question"      # the cold retrieval-only probe

The index is whatever ``ASSISTANT_DATA_DIR`` (and ``ASSISTANT_STORE__*``) point at; the parent
(``run_all``) sets them. Warm: after two warm-up questions, every question is retrieved
(hybrid: embed + Chroma + BM25 + catalog + fusion) and answered (extractive) ``rounds`` times,
and the parts of retrieval are timed on their own. Cold: ``assistant ask`` and the retrieval
probe as new processes, with ``python -c "import chromadb"`` timed alongside as the reference.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import ASSISTANT, PYTHON, rss_mb, summary_ms  # noqa: E402

QUESTIONS_FILE = ROOT / "evals" / "seeds.yaml"


def questions(n: int = 30) -> list[str]:
    """The first ``n`` single-turn questions of the seeds suite (fixed, so runs compare)."""
    import yaml

    cases = yaml.safe_load(QUESTIONS_FILE.read_text(encoding="utf-8"))
    found = [c["question"] for c in cases if isinstance(c, dict) and c.get("question")]
    return found[:n]


def _timed(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def warm(qs: Sequence[str], rounds: int = 3) -> dict[str, Any]:
    """Latencies in this process, index opened once (the chat app's situation)."""
    from assistant.answer.service import Assistant
    from assistant.retrieval import bm25
    from assistant.settings import load_settings
    from assistant.types import Filters

    settings = load_settings()
    one_outlet = Filters(outlets=("Global Times",))
    open_s, assistant = _timed(lambda: Assistant.from_settings(settings))
    retriever: Any = assistant.retriever
    k, n = settings.retrieval.k, settings.retrieval.fetch_k
    for q in qs[:2]:
        assistant.ask(q)
    parts: dict[str, list[float]] = {
        "hybrid": [], "hybrid_filtered": [], "answer_full": [], "extractive_only": [],
        "embed_query": [], "chroma_query": [], "bm25_search": [],
    }  # fmt: skip
    refused = 0
    for _ in range(rounds):
        for q in qs:
            parts["hybrid"].append(_timed(lambda q=q: retriever.retrieve(q, k))[0])
            filtered = _timed(lambda q=q: retriever.retrieve(q, k, one_outlet))[0]
            parts["hybrid_filtered"].append(filtered)
            seconds, answer = _timed(lambda q=q: assistant.ask(q))
            parts["answer_full"].append(seconds)
            parts["extractive_only"].append(answer.timings["answer_s"])
            refused += answer.refused
            t, vec = _timed(lambda q=q: retriever.embedder.embed_query(q))
            parts["embed_query"].append(t)
            parts["chroma_query"].append(_timed(lambda v=vec: retriever.store.query(v, n))[0])
            index = bm25.load(settings.bm25_dir)
            parts["bm25_search"].append(_timed(lambda q=q, i=index: i.search(q, n))[0])
    return {
        "questions": len(qs),
        "rounds": rounds,
        "chunks": assistant.info.chunks,
        "open_s": open_s,
        "refused_share": refused / (rounds * len(qs)),
        "rss_mb": rss_mb(),
        **{name: summary_ms(values) for name, values in parts.items()},
    }


def _retrieve_probe(question: str) -> None:
    from assistant.retrieval.index import open_index
    from assistant.settings import load_settings

    settings = load_settings()
    index = open_index(settings)
    hits = index.retriever.retrieve(question, settings.retrieval.k)
    for hit in hits:
        print(hit.chunk.id)


TIMELINE = """
import json, sys, time
marks = [("start", time.perf_counter())]
def mark(label):
    marks.append((label, time.perf_counter()))
import assistant.cli
from assistant.answer.service import Assistant
from assistant.settings import load_settings
mark("assistant imports (cli, settings, service)")
import numpy
mark("import numpy")
import chromadb
mark("import chromadb")
settings = load_settings()
assistant = Assistant.from_settings(settings)
mark("open index: Chroma client, catalog, answerer")
import onnxruntime, tokenizers
mark("import onnxruntime + tokenizers")
retriever = assistant.retriever
retriever.embedder.prepare()
mark("ONNX session + tokenizer")
vector = retriever.embedder.embed_query(sys.argv[1])
mark("embed the query")
retriever.store.query(vector, settings.retrieval.fetch_k)
mark("first Chroma query (loads HNSW)")
from assistant.retrieval import bm25
bm25.load(settings.bm25_dir)
mark("load BM25")
assistant.ask(sys.argv[1])
mark("ask: retrieve + answer")
print(json.dumps({b[0]: b[1] - a[1] for a, b in zip(marks, marks[1:])}))
"""


def timeline(question: str, env: dict[str, str], runs: int = 3) -> dict[str, float]:
    """Median seconds of each step of a cold question, in a fresh process each run."""
    steps: dict[str, list[float]] = {}
    for _ in range(runs):
        done = subprocess.run(
            [PYTHON, "-c", TIMELINE, question], env=env, capture_output=True, text=True, cwd=ROOT
        )
        if done.returncode != 0:
            raise RuntimeError(f"timeline probe failed: {done.stderr[-1500:]}")
        for step, seconds in json.loads(done.stdout.splitlines()[-1]).items():
            steps.setdefault(step, []).append(seconds)
    return {step: statistics.median(values) for step, values in steps.items()}


def _wall(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} failed ({done.returncode}): {done.stderr[-1500:]}")
    return wall


def cold(qs: Sequence[str], env: dict[str, str], runs: int = 5) -> dict[str, Any]:
    """Median wall time of fresh processes, interleaved so noise hits all three alike."""
    walls: dict[str, list[float]] = {"import_chromadb": [], "ask": [], "retrieve": []}
    _wall([ASSISTANT, "ask", qs[0]], env)  # page cache and .pyc warm, like a second use
    for i in range(runs):
        q = qs[i % len(qs)]
        walls["import_chromadb"].append(_wall([PYTHON, "-c", "import chromadb"], env))
        walls["ask"].append(_wall([ASSISTANT, "ask", q], env))
        walls["retrieve"].append(_wall([PYTHON, str(Path(__file__)), "retrieve", q], env))
    med = {name: statistics.median(values) for name, values in walls.items()}
    return {
        "runs": runs,
        **{f"{name}_s": value for name, value in med.items()},
        "ask_ratio": med["ask"] / med["import_chromadb"],
        "retrieve_ratio": med["retrieve"] / med["import_chromadb"],
        "samples": walls,
        "timeline": timeline(qs[0], env),
    }


def run_warm(env: dict[str, str], out: Path, rounds: int = 3) -> dict[str, Any]:
    """``warm`` in a child process with ``env``; its result dict."""
    cmd = [PYTHON, str(Path(__file__)), "warm", "--json", str(out), "--rounds", str(rounds)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"warm query worker failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("warm")
    w.add_argument("--json", type=Path, required=True)
    w.add_argument("--rounds", type=int, default=3)
    r = sub.add_parser("retrieve")
    r.add_argument("question")
    args = parser.parse_args(argv)
    if args.cmd == "retrieve":
        _retrieve_probe(args.question)
        return 0
    result = warm(questions(), args.rounds)
    args.json.write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
