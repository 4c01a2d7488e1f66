"""Where ingest time goes on RealTime QA news, and fp32/sequential against int8/overlapped.

    .venv/bin/python bench/ingest_speed.py [--week 20220715] [--articles 40]

One process, one run: the week's search results go through the JSONL reader into a temp
data dir (``--articles`` distinct ones), then each stage is timed on its own — read+clean+chunk
(``prepare``), embedding with the fp32 and with the int8 graph (same texts, same batches),
the Chroma write, the BM25 build — and finally end to end through ``indexer.sync``: *before*
(fp32 graph, files prepared one after another) and *after* (int8 graph, preparation overlapped
with embedding), each into a fresh data dir. Ratios come from this one run; the machine is
shared, so the load average is recorded beside them. Writes ``bench/ingest_speed.json`` and
the "Ingest speed" section of ``bench/RESULTS.md``.
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


def files_for(week: str, limit: int, root: Path) -> list[Path]:
    from assistant.ingest.dumps import read_dumps
    from assistant.settings import load_settings

    report = read_dumps([dataset(week)], load_settings(data_dir=root), records_key="search_result")
    return sorted(report.files)[:limit]


def stages(files: list[Path], models: Path, root: Path) -> dict[str, Any]:
    from assistant.ingest.prepare import prepare
    from assistant.retrieval import bm25
    from assistant.retrieval.chroma_store import ChromaStore
    from assistant.retrieval.embeddings import MiniLMOnnxEmbedder
    from assistant.settings import load_settings

    settings = load_settings(data_dir=root / "stages", model_cache_dir=models)
    prepare(files[0], files[0].name, settings)  # imports and first-use set-up out of the timing
    t = time.perf_counter()
    prepared = [prepare(f, f.name, settings) for f in files]
    out: dict[str, Any] = {"prepare_s": time.perf_counter() - t}
    chunks = [c for p in prepared for c in p.chunks]
    texts = [c.text for c in chunks]
    out["chunks"], out["chars"] = len(chunks), sum(len(x) for x in texts)
    vectors = None
    for label, quantized in (("fp32", False), ("int8", True)):
        embedder = MiniLMOnnxEmbedder(settings, quantized=quantized)
        embedder.prepare()
        embedder.embed_documents(texts[:8])  # first-run allocations out of the timing
        t = time.perf_counter()
        got = embedder.embed_documents(texts)
        out[f"embed_{label}_s"] = time.perf_counter() - t
        out["tokens"] = embedder.count_tokens(texts)
        vectors = got if vectors is None else vectors
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


def end_to_end(files: list[Path], models: Path, root: Path, *, after: bool) -> dict[str, Any]:
    from assistant.retrieval import indexer
    from assistant.settings import load_settings

    name = "after" if after else "before"
    settings = load_settings(
        data_dir=root / name, model_cache_dir=models, embedding={"quantized": after}
    )
    indexer.PREFETCH = 16 if after else 0
    t = time.perf_counter()
    report = indexer.sync(files, settings)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "chunks": report.chunks, "chunks_per_s": report.chunks / seconds}


def section(r: dict[str, Any]) -> str:
    s, before, after = r["stages"], r["before"], r["after"]
    total = s["prepare_s"] + s["embed_fp32_s"] + s["chroma_write_s"] + s["bm25_s"]

    def row(name: str, key: str) -> str:
        return f"| {name} | {s[key]:.1f} | {100 * s[key] / total:.0f}% |"

    tok32, tok8 = s["tokens"] / s["embed_fp32_s"], s["tokens"] / s["embed_int8_s"]
    load = ", ".join(f"{x:.1f}" for x in r["load_avg_at_start"])
    lines = [
        BEGIN,
        "## Ingest speed (bench/ingest_speed.py)",
        "",
        f"RealTime QA week {r['week']}, {r['articles']} articles through the JSONL reader"
        f" ({s['chunks']:,} chunks, {s['tokens']:,} tokens), {r['date']}; {r['cores']} cores,"
        f" load average {load} at start, {r['load_avg_at_end'][0]:.1f} at the end"
        " (shared machine: absolute times are noisy, ratios are from this one run; the runs go"
        " fp32 stage, int8 stage, before, after, so a load that falls during the run flatters"
        " int8 and *after*).",
        "",
        "Where the time goes (stages timed one by one, fp32 embedding):",
        "",
        "| stage | s | share |",
        "|---|---:|---:|",
        row("read + clean + chunk", "prepare_s"),
        row("embed (fp32)", "embed_fp32_s"),
        row("Chroma write", "chroma_write_s"),
        row("BM25 build", "bm25_s"),
        "",
        "| | before (fp32, sequential) | after (int8, overlapped) | ratio |",
        "|---|---:|---:|---:|",
        f"| embedding tokens/s | {tok32:,.0f} | {tok8:,.0f} | {tok8 / tok32:.2f}x |",
        f"| end-to-end ingest s | {before['seconds']:.1f} | {after['seconds']:.1f} |"
        f" {before['seconds'] / after['seconds']:.2f}x faster |",
        f"| end-to-end chunks/s | {before['chunks_per_s']:.1f} | {after['chunks_per_s']:.1f} |"
        f" {after['chunks_per_s'] / before['chunks_per_s']:.2f}x |",
        "",
        "int8 = `embedding.quantized = true` (dynamic int8 weights of the MatMuls, per channel).",
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
    worst = 0.0
    for suite, pair in by_suite.items():
        if False not in pair or True not in pair:
            continue
        a, b = pair[False], pair[True]
        worst = min(worst, 100 * (b["recall_at_6"] - a["recall_at_6"]))
        lines.append(
            f"| {suite} | {100 * a['recall_at_6']:.1f} | {100 * b['recall_at_6']:.1f} |"
            f" {100 * (b['recall_at_6'] - a['recall_at_6']):+.1f} |"
            f" {100 * a['answer_correctness']:.1f} / {100 * b['answer_correctness']:.1f} |"
        )
    verdict = (
        "int8 stays opt-in: recall@6 drops by more than 1 point."
        if worst < -1.0
        else "int8 loses at most 1 point of recall@6 on every suite."
    )
    return [*lines, "", verdict, ""]


def write_section(text: str, results: Path) -> None:
    old = results.read_text(encoding="utf-8") if results.exists() else ""
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        new = head + text + rest.split(END, 1)[1]
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    results.write_text(new, encoding="utf-8")


def main() -> None:
    from bench.common import machine

    parser = argparse.ArgumentParser()
    parser.add_argument("--week", default="20220715")
    parser.add_argument("--articles", type=int, default=40)
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
    info = machine()
    with tempfile.TemporaryDirectory(prefix="ingest-speed-") as tmp:
        root = Path(tmp)
        models = args.models or root / "models"
        files = files_for(args.week, args.articles, root / "source")
        r: dict[str, Any] = {
            "week": args.week,
            "articles": len(files),
            "date": info["date"],
            "cores": info["usable_cores"],
            "load_avg_at_start": list(os.getloadavg()),
            "stages": stages(files, models, root),
            "before": end_to_end(files, models, root, after=False),
            "after": end_to_end(files, models, root, after=True),
            "load_avg_at_end": list(os.getloadavg()),
        }
    args.out.write_text(json.dumps(r, indent=1) + "\n", encoding="utf-8")
    text = section(r)
    write_section(text, args.results)
    print(text)


if __name__ == "__main__":
    main()
