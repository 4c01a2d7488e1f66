"""Where ingest time goes on RealTime QA news, and the code before issue 13 against now.

    .venv/bin/python bench/ingest_speed.py [--week 20220715 --week 20220916] [--articles 40]

One process, one run: each week's search results go through the JSONL reader into a temp
data dir (``--articles`` distinct ones a week), then each stage is timed on its own — read +
clean + chunk (``prepare``), embedding with the three graphs (plain fp32, fused fp32, fused
int8: same texts, same batches, against the numpy GEMM ceiling at the model's shape), the
Chroma write, the BM25 build — and finally end to end through ``indexer.sync``, each config
into a fresh data dir: *before* (plain fp32 graph, batches of 64, files prepared one after
another: the code before issue 13), *fp32* (the default now: fused graph, batches of 8,
preparation overlapped with embedding) and *int8* (``embedding.quantized``). The end-to-end
runs go in a palindrome (before, fp32, int8, int8, fp32, before) and each config keeps its
faster run, so a load that changes during the run favours no config. The machine is shared,
so the load average is recorded beside the ratios. Writes ``bench/ingest_speed.json`` and the
"Ingest speed" section of ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BEGIN, END = "<!-- ingest-speed:begin -->", "<!-- ingest-speed:end -->"


def dataset(week: str) -> Path:
    for base in (ROOT.parent / "shared", ROOT.parent.parent / "shared", Path("/work/shared")):
        path = base / "datasets" / "realtimeqa" / f"{week}_gcs.jsonl"
        if path.exists():
            return path
    raise SystemExit(f"RealTime QA {week}_gcs.jsonl not found")


def files_for(weeks: list[str], limit: int, root: Path) -> list[Path]:
    from assistant.ingest.dumps import read_dumps
    from assistant.settings import load_settings

    settings = load_settings(data_dir=root)
    files: list[Path] = []
    for week in weeks:
        report = read_dumps([dataset(week)], settings, records_key="search_result")
        files += sorted(report.files)[:limit]
    return list(dict.fromkeys(files))  # an article in both weeks is one file


CONFIGS: dict[str, dict[str, Any]] = {
    "before": {"quantized": False, "fused": False, "prefetch": 0, "batch": 64},
    "fp32": {"quantized": False, "fused": True, "prefetch": 16, "batch": None},
    "int8": {"quantized": True, "fused": True, "prefetch": 16, "batch": None},
}
MODEL_SHAPES = ((64 * 128, 384, 1536), (8 * 128, 384, 1536))  # batches of 64 and 8 texts
"""Into the MLP, ~128 tokens a text: the ceiling is the faster (the small one fits the cache)."""


def best_gemm() -> float:
    from bench.embedding import gemm_gflops

    return max(gemm_gflops(*shape)[0] for shape in MODEL_SHAPES)


def embedder_for(label: str, settings: Any) -> Any:
    from assistant.retrieval.embeddings import MiniLMOnnxEmbedder

    c = CONFIGS[label]
    return MiniLMOnnxEmbedder(
        settings, quantized=c["quantized"], fused=c["fused"], batch_size=c["batch"]
    )


def stages(files: list[Path], models: Path, root: Path) -> dict[str, Any]:
    from assistant.ingest.prepare import prepare
    from assistant.retrieval import bm25
    from assistant.retrieval.chroma_store import ChromaStore
    from assistant.settings import load_settings
    from bench import embed_bench

    settings = load_settings(data_dir=root / "stages", model_cache_dir=models)
    prepare(files[0], files[0].name, settings)  # imports and first-use set-up out of the timing
    t = time.perf_counter()
    prepared = [prepare(f, f.name, settings) for f in files]
    out: dict[str, Any] = {"prepare_s": time.perf_counter() - t}
    chunks = [c for p in prepared for c in p.chunks]
    texts = [c.text for c in chunks]
    out["chunks"], out["chars"] = len(chunks), sum(len(x) for x in texts)
    gemm = [best_gemm()]
    vectors = None
    for label in CONFIGS:
        embedder = embedder_for(label, settings)
        embedder.prepare()
        embedder.embed_documents(texts[:8])  # first-run allocations out of the timing
        t = time.perf_counter()
        got = embedder.embed_documents(texts)
        out[f"embed_{label}_s"] = time.perf_counter() - t
        out["tokens"] = embedder.count_tokens(texts)
        vectors = got if vectors is None else vectors
        gemm.append(best_gemm())
    mean_tokens = out["tokens"] / len(texts)
    flop = embed_bench.DENSE_FLOP_PER_TOKEN + embed_bench.attention_flop_per_token(mean_tokens)
    out["gemm_gflops"] = max(gemm)  # contention only ever lowers it
    out["mflop_per_token"] = flop / 1e6
    out["ceiling_tokens_per_s"] = max(gemm) * 1e9 / flop
    assert vectors is not None
    store = ChromaStore(settings)
    store.open_for_writing("bench", 384, "bench")
    t = time.perf_counter()
    store.put_articles(
        [(p.article.id, p.chunks, p.article.content_hash) for p in prepared], vectors
    )
    out["chroma_write_s"] = time.perf_counter() - t
    t = time.perf_counter()
    bm25.build(settings.bm25_dir, ((c, "h") for c in chunks))
    out["bm25_s"] = time.perf_counter() - t
    return out


def end_to_end(files: list[Path], models: Path, root: Path, label: str) -> dict[str, Any]:
    from assistant.retrieval import indexer
    from assistant.settings import load_settings

    dest = root / f"{label}-{time.monotonic_ns()}"
    c = CONFIGS[label]
    settings = load_settings(
        data_dir=dest, model_cache_dir=models, embedding={"quantized": c["quantized"]}
    )
    embedder = embedder_for(label, settings)
    embedder.prepare()  # the session, converted before: out of the timing for every config
    indexer.PREFETCH = c["prefetch"]
    t = time.perf_counter()
    report = indexer.sync(files, settings, embedder=embedder)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "chunks": report.chunks, "chunks_per_s": report.chunks / seconds}


def palindrome(files: list[Path], models: Path, root: Path) -> dict[str, Any]:
    """Each config's faster run of two, run in the order a, b, c, c, b, a."""
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label in CONFIGS}
    order = [*CONFIGS, *reversed(CONFIGS)]
    for label in order:
        runs[label].append(end_to_end(files, models, root, label))
    return {
        label: {**min(rs, key=lambda r: r["seconds"]), "all_s": [r["seconds"] for r in rs]}
        for label, rs in runs.items()
    }


def section(r: dict[str, Any]) -> str:
    s, e2e = r["stages"], r["end_to_end"]
    total = s["prepare_s"] + s["embed_before_s"] + s["chroma_write_s"] + s["bm25_s"]

    def row(name: str, key: str) -> str:
        return f"| {name} | {s[key]:.1f} | {100 * s[key] / total:.0f}% |"

    tok = {label: s["tokens"] / s[f"embed_{label}_s"] for label in CONFIGS}
    ceiling = s["ceiling_tokens_per_s"]
    load = ", ".join(f"{x:.1f}" for x in r["load_avg_at_start"])
    b = e2e["before"]

    def ratio_cells(label: str) -> str:
        x = e2e[label]
        return (
            f"{tok[label]:,.0f} ({100 * tok[label] / ceiling:.0f}%) | {x['seconds']:.1f} |"
            f" {x['chunks_per_s']:.1f} | {tok[label] / tok['before']:.2f}x |"
            f" {x['chunks_per_s'] / b['chunks_per_s']:.2f}x |"
        )

    lines = [
        BEGIN,
        "## Ingest speed (bench/ingest_speed.py)",
        "",
        f"RealTime QA weeks {', '.join(r['weeks'])}, {r['articles']} articles through the JSONL"
        f" reader ({s['chunks']:,} chunks, {s['tokens']:,} tokens), {r['date']}; {r['cores']}"
        f" cores, load average {load} at start, {r['load_avg_at_end'][0]:.1f} at the end"
        " (shared machine: absolute times are noisy; ratios are from this one run, end to end"
        " each config's faster of two runs in the order before, fp32, int8, int8, fp32,"
        " before).",
        "",
        "Where the time goes (stages timed one by one, plain fp32 embedding):",
        "",
        "| stage | s | share |",
        "|---|---:|---:|",
        row("read + clean + chunk", "prepare_s"),
        row("embed (fp32, plain graph)", "embed_before_s"),
        row("Chroma write", "chroma_write_s"),
        row("BM25 build", "bm25_s"),
        "",
        f"GEMM ceiling: numpy float32 at the model's shapes {s['gemm_gflops']:.0f} GFLOP/s (best"
        f" seen) / {s['mflop_per_token']:.1f} MFLOP a token = {ceiling:,.0f} tokens/s for fp32.",
        "",
        "| config | embedding tokens/s (% of GEMM ceiling) | end-to-end s | end-to-end"
        " chunks/s | tokens/s vs before | chunks/s vs before |",
        "|---|---:|---:|---:|---:|---:|",
        f"| before: fp32 plain graph, batch 64, sequential | {ratio_cells('before')}",
        f"| **default now**: fp32 fused graph, batch 8, overlapped | {ratio_cells('fp32')}",
        f"| int8 (`embedding.quantized`), fused, batch 8, overlapped | {ratio_cells('int8')}",
        "",
        "fused = onnxruntime's BERT fusions applied at conversion (Attention, SkipLayerNorm,"
        " BiasGelu); same vectors as the plain graph. int8 = dynamic int8 weights of the"
        " feed-forward MatMuls, per channel, quantized from the fused graph; the attention and"
        " its output projection stay fp32 (int8v3; bench/int8_variants.py). int8 can beat the"
        " fp32 ceiling: its products are integer.",
        "",
        *recall_lines(ROOT / "bench" / "quantized_recall.json"),
        END,
    ]
    return "\n".join(lines)


def recall_lines(path: Path) -> list[str]:
    """fp32 against int8 retrieval recall@6, from bench/quantized_recall.py's output."""
    if not path.exists():
        return []
    rows = json.loads(path.read_text(encoding="utf-8"))
    by_suite: dict[str, dict[bool, dict[str, Any]]] = {}
    for row in rows:
        by_suite.setdefault(Path(row["suite"]).name, {})[row["quantized"]] = row
    lines = [
        "Retrieval with each graph (bench/quantized_recall.py: corpus ingested with that graph,"
        " suite asked with the extractive backend):",
        "",
        "| suite | recall@6 fp32 | recall@6 int8 | change (points) | correct fp32 / int8 |",
        "|---|---:|---:|---:|---:|",
    ]
    failed, measured = [], set()
    for suite, pair in by_suite.items():
        if False not in pair or True not in pair:
            continue
        a, b = pair[False], pair[True]
        change = 100 * (b["recall_at_6"] - a["recall_at_6"])
        measured.add(suite)
        if change < -1.0:
            failed.append(f"{suite} ({change:+.1f})")
        lines.append(
            f"| {suite} | {100 * a['recall_at_6']:.1f} | {100 * b['recall_at_6']:.1f} |"
            f" {change:+.1f} | {100 * a['answer_correctness']:.1f} /"
            f" {100 * b['answer_correctness']:.1f} |"
        )
    return [*lines, "", recall_verdict(failed, sorted(set(RULE_SUITES) - measured)), ""]


RULE_SUITES = (
    "seeds.yaml",
    *(f"realtimeqa-{w}.yaml" for w in ("20220715", "20220916", "20221111", "20230106")),
)
"""int8 may be the default only if recall@6 drops by at most 1 point on each of these."""


def recall_verdict(failed: list[str], missing: list[str]) -> str:
    if failed:
        return f"int8 stays opt-in: recall@6 drops by more than 1 point on {', '.join(failed)}."
    if missing:
        return f"Not decided: recall@6 not measured on {', '.join(missing)}; int8 stays opt-in."
    return "int8 loses at most 1 point of recall@6 on the seeds and every dev week."


def write_section(text: str, results: Path) -> None:
    from bench import common

    common.write_section(text, results, BEGIN, END)


def main() -> None:
    from bench.common import machine

    parser = argparse.ArgumentParser()
    parser.add_argument("--week", action="append", help="RealTime QA week (repeatable)")
    parser.add_argument("--articles", type=int, default=40, help="distinct articles a week")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "ingest_speed.json")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--models", type=Path, default=None)
    parser.add_argument(
        "--render-only", action="store_true", help="Rewrite the section from --out, no runs."
    )
    args = parser.parse_args()
    if args.render_only:
        write_section(section(json.loads(args.out.read_text(encoding="utf-8"))), args.results)
        return
    weeks = args.week or ["20220715", "20220916"]
    info = machine()
    with tempfile.TemporaryDirectory(prefix="ingest-speed-") as tmp:
        root = Path(tmp)
        models = args.models or root / "models"
        files = files_for(weeks, args.articles, root / "source")
        r: dict[str, Any] = {
            "weeks": weeks,
            "articles": len(files),
            "date": info["date"],
            "cores": info["usable_cores"],
            "load_avg_at_start": list(os.getloadavg()),
            "stages": stages(files, models, root),
            "end_to_end": palindrome(files, models, root),
            "load_avg_at_end": list(os.getloadavg()),
        }
    args.out.write_text(json.dumps(r, indent=1) + "\n", encoding="utf-8")
    text = section(r)
    write_section(text, args.results)
    print(text)


if __name__ == "__main__":
    main()
