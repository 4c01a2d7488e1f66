"""Warm answer latency per backend (issue: answers that generalize): p50 / p95 of a whole
``Assistant.ask`` and of the answerer alone, on the seeds and on a ~4k-chunk index (one
RealTime QA dev week), k=6. Retrieval alone is timed in the same loop as the reference, so
the ratio column holds on a busy machine where the milliseconds do not.

    python -m bench.answer_latency [--week 20220916] [--passes 3]

Writes the "Answer latency" section of ``bench/RESULTS.md`` and ``bench/answer_latency.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench.common import ROOT, percentile

BACKENDS = ("extractive", "fitted", "top-passage")
BEGIN = "<!-- answer-latency:begin -->"
END = "<!-- answer-latency:end -->"


def _questions(suite: Path, limit: int) -> list[tuple[str, str]]:
    cases = yaml.safe_load(suite.read_text(encoding="utf-8")) or []
    out = [(str(c["question"]), str(c.get("as_of") or "")) for c in cases if "question" in c]
    return out[:limit]


def _index(name: str, corpus: Path, root: Path) -> Any:
    from assistant.retrieval.bootstrap import ensure_index
    from assistant.settings import load_settings

    settings = load_settings(data_dir=root / name, seeds_dir=corpus)
    ensure_index(settings)
    return settings


def measure(settings: Any, questions: list[tuple[str, str]], passes: int) -> dict[str, Any]:
    from assistant.answer.service import Assistant
    from assistant.types import Filters

    out: dict[str, Any] = {"questions": len(questions)}
    for backend in BACKENDS:
        settings.answer.backend = backend
        assistant = Assistant.from_settings(settings)
        for question, as_of in questions[:2]:  # warm-up: model, caches, HNSW
            assistant.ask(question, filters=Filters(as_of=as_of))
        ask: list[float] = []
        answer_only: list[float] = []
        retrieve: list[float] = []
        answerer = assistant.answerer
        pool_k = max(assistant.settings.retrieval.k, getattr(answerer, "pool_k", 0))
        for _ in range(passes):
            for question, as_of in questions:
                filters = Filters(as_of=as_of)
                t0 = time.perf_counter()
                hits = assistant.retriever.retrieve(question, pool_k, filters)
                t1 = time.perf_counter()
                options = {"as_of": as_of} if getattr(answerer, "uses_as_of", False) else {}
                for _event in answerer.stream(question, hits, assistant.source, (), **options):
                    pass
                t2 = time.perf_counter()
                assistant.ask(question, filters=filters)
                t3 = time.perf_counter()
                retrieve.append(t1 - t0)
                answer_only.append(t2 - t1)
                ask.append(t3 - t2)
        out[backend] = {
            "pool_k": pool_k,
            "ask_p50_ms": percentile(ask, 50) * 1000,
            "ask_p95_ms": percentile(ask, 95) * 1000,
            "answerer_p50_ms": percentile(answer_only, 50) * 1000,
            "retrieve_p50_ms": percentile(retrieve, 50) * 1000,
            "ask_over_retrieve": percentile(ask, 50) / max(1e-9, percentile(retrieve, 50)),
        }
    return out


def section(r: dict[str, Any]) -> str:
    pools = {b.get("pool_k") for i in r["indexes"].values() for n, b in i.items() if n == "fitted"}
    pool = "/".join(str(p) for p in sorted(p for p in pools if p)) or "?"
    lines = [
        BEGIN,
        "## Answer latency (bench/answer_latency.py)",
        "",
        f"{r['date']}, {r['cores']} cores, load average {r['load_start'][0]:.1f} at start, "
        f"{r['load_end'][0]:.1f} at the end; warm, k=6, {r['passes']} passes over each "
        "suite's questions. *retrieve* is the hybrid retrieval of the backend's pool alone "
        f"({pool} passages for `fitted`), timed in the same loop: the ratio is the figure that "
        "holds on a busy machine.",
        "",
        "| index | chunks | backend | ask p50 ms | ask p95 ms | answerer p50 ms | "
        "retrieve p50 ms | ask / retrieve |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for name, run in r["indexes"].items():
        for backend in BACKENDS:
            b = run[backend]
            lines.append(
                f"| {name} | {run['chunks']:,} | {backend} | {b['ask_p50_ms']:.1f} | "
                f"{b['ask_p95_ms']:.1f} | {b['answerer_p50_ms']:.1f} | "
                f"{b['retrieve_p50_ms']:.1f} | {b['ask_over_retrieve']:.2f}x |"
            )
    lines += [
        "",
        "Goal (issue 9): warm answer p50 ≤ 50 ms on the seeds and ≤ 100 ms on a 4k-chunk index.",
        END,
    ]
    return "\n".join(lines)


def write_section(text: str, results: Path) -> None:
    from bench import common

    common.write_section(text, results, BEGIN, END)


def _chunks(settings: Any) -> int:
    from assistant.retrieval.bootstrap import ensure_index

    return int(ensure_index(settings).stats()["chunks"])


def main() -> None:
    from bench.common import machine
    from evals.workspace import find_realtimeqa

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--week", default="20220916", help="RealTime QA dev week (~4k chunks)")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--questions", type=int, default=30)
    parser.add_argument("--work", type=Path, help="keep the indexes here (reused next time)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "answer_latency.json")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args()
    info = machine()
    r: dict[str, Any] = {
        "date": info["date"],
        "cores": info["usable_cores"],
        "passes": args.passes,
        "load_start": list(os.getloadavg()),
        "indexes": {},
    }
    with tempfile.TemporaryDirectory(prefix="answer-latency-") as tmp:
        root = args.work or Path(tmp)
        corpora = [("seeds", ROOT / "seeds", ROOT / "evals" / "seeds.yaml")]
        dataset = find_realtimeqa()
        if dataset is not None:
            from evals.importers.realtimeqa import convert

            week = convert(dataset, root / "realtimeqa", [args.week])[0]
            corpora.append((f"realtimeqa-{args.week}", week.corpus, week.suite))
        for name, corpus, suite in corpora:
            settings = _index(name, corpus, root)
            run = measure(settings, _questions(suite, args.questions), args.passes)
            run["chunks"] = _chunks(settings)
            r["indexes"][name] = run
    r["load_end"] = list(os.getloadavg())
    args.out.write_text(json.dumps(r, indent=1) + "\n", encoding="utf-8")
    text = section(r)
    write_section(text, args.results)
    print(text)


if __name__ == "__main__":
    main()
