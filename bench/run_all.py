"""Every benchmark in one go: bench/RESULTS.md, bench/results.json, bench/latency_vs_size.png.

    .venv/bin/python bench/run_all.py [--quick] [--sizes 1000,10000,100000] [--e2e-sizes 1000]
                                      [--server-size 10000] [--runs 5] [--workdir DIR]

All data lives in a temp work dir (``--workdir`` to keep it); the user's index and config are
never read. Order: embedding (fresh models dir, so the one-time conversion is counted),
end-to-end ingest of the seeds and ``--e2e-sizes`` generated chunks with the real model,
composed-vector ingest at each of ``--sizes``, warm and cold queries on every index, then the
same queries against a ``chroma run`` server at ``--server-size``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import ingest_bench, query_bench, report, server_bench  # noqa: E402
from bench.common import isolated_env, machine  # noqa: E402
from bench.corpus import seed_sentences, write_corpus  # noqa: E402

OUT = ROOT / "bench"


def _log(message: str, started: float) -> None:
    print(f"[{time.perf_counter() - started:7.1f} s] {message}", flush=True)


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes only (a smoke run)")
    parser.add_argument("--sizes", type=_ints, help="composed-vector corpus sizes in chunks")
    parser.add_argument("--e2e-sizes", type=_ints, help="generated sizes ingested with the model")
    parser.add_argument("--server-size", type=int, help="chunks for the server run (0: skip)")
    parser.add_argument("--runs", type=int, help="cold processes per measurement (median)")
    parser.add_argument("--rounds", type=int, help="warm passes over the questions")
    parser.add_argument("--workdir", type=Path, help="keep the corpora and indexes here")
    parser.add_argument("--out", type=Path, default=OUT, help="where the results are written")
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite RESULTS.md from results.json"
    )
    args = parser.parse_args(argv)
    defaults = (
        {"sizes": [500], "e2e_sizes": [], "server_size": 500, "runs": 3, "rounds": 1}
        if args.quick
        else {"sizes": [1000, 10000, 100000], "e2e_sizes": [1000], "server_size": 10000,
              "runs": 5, "rounds": 3}
    )  # fmt: skip
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.report_only:
        report.write(json.loads((args.out / "results.json").read_text()), args.out)
        return 0
    started = time.perf_counter()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="assistant-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        results = run(args, work, started)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    results["total_s"] = time.perf_counter() - started
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    report.write(results, args.out)
    _log(f"done: {args.out / 'RESULTS.md'}", started)
    return 0


def run(args: argparse.Namespace, work: Path, started: float) -> dict[str, Any]:
    models = work / "models"
    shutil.rmtree(models, ignore_errors=True)
    os.environ.update(isolated_env(work / "scratch", models))
    from assistant.settings import load_settings

    settings = load_settings()
    results: dict[str, Any] = {
        "machine": machine(),
        "args": {k: str(v) for k, v in vars(args).items()},
    }
    _log("embedding throughput (fresh models dir)", started)
    from bench import embedding

    results["embedding"] = embedding.measure(settings, quick=args.quick)

    sentences = seed_sentences(settings)
    vectors = work / "sentence-vectors.npz"
    results["composed_vectors"] = ingest_bench.sentence_vectors(sentences, vectors)

    ingest: dict[str, Any] = {}
    indexes: dict[str, Path] = {}
    _log("end-to-end ingest: seeds", started)
    ingest["seeds"] = ingest_bench.run(settings.seeds_dir, work / "idx-seeds", models)
    indexes["seeds"] = work / "idx-seeds"
    for n in args.e2e_sizes:
        corpus = _corpus(work, sentences, n)
        _log(f"end-to-end ingest: {n} chunks", started)
        ingest[f"e2e-{n}"] = ingest_bench.run(corpus, work / f"idx-e2e-{n}", models)
    for n in args.sizes:
        corpus = _corpus(work, sentences, n)
        _log(f"composed-vector ingest: {n} chunks", started)
        ingest[f"composed-{n}"] = ingest_bench.run(
            corpus, work / f"idx-{n}", models, vectors=vectors
        )
        indexes[str(n)] = work / f"idx-{n}"
    results["ingest"] = ingest

    qs = query_bench.questions()
    queries: dict[str, Any] = {}
    for label, data_dir in indexes.items():
        env = isolated_env(data_dir, models)
        _log(f"queries on {label}", started)
        queries[label] = {
            "warm": query_bench.run_warm(env, work / f"warm-{label}.json", args.rounds),
            "cold": query_bench.cold(qs, env, args.runs),
        }
    results["queries"] = queries

    if args.server_size:
        _log(f"chroma server: {args.server_size} chunks", started)
        results["server"] = _server(args, work, models, sentences, vectors, qs)
    return results


def _corpus(work: Path, sentences: list[str], n: int) -> Path:
    corpus = work / f"corpus-{n}"
    if not corpus.exists():
        write_corpus(corpus, sentences, n)
    return corpus


def _server(
    args: argparse.Namespace,
    work: Path,
    models: Path,
    sentences: list[str],
    vectors: Path,
    qs: list[str],
) -> dict[str, Any]:
    n = args.server_size
    data_dir = work / f"idx-server-{n}"
    with server_bench.chroma_server(work / f"chroma-server-{n}", work / "chroma.log") as port:
        extra = server_bench.server_env(port)
        ingest = ingest_bench.run(
            _corpus(work, sentences, n), data_dir, models, vectors=vectors, extra_env=extra
        )
        env = isolated_env(data_dir, models, **extra)
        return {
            "chunks": n,
            "ingest": ingest,
            "warm": query_bench.run_warm(env, work / "warm-server.json", args.rounds),
            "cold": query_bench.cold(qs, env, args.runs),
        }


if __name__ == "__main__":
    raise SystemExit(main())
