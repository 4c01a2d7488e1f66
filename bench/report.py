"""RESULTS.md and latency_vs_size.png from a ``run_all`` results dict.

A ``results-before.json`` beside the output (a run kept from before a fix) adds a
before/after table; ``NOTES.md`` beside it, if present, is appended as the analysis.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

GOALS = {
    "embed_tokens_per_s": 4000,
    "hybrid_p50_ms_100k": 100,
    "cold_ratio": 1.6,
    "extractive_p50_ms": 50,
}


def _f(value: Any, digits: int = 0) -> str:
    if value is None:
        return "–"
    if isinstance(value, (int, float)):
        return f"{value:,.{digits}f}"
    return str(value)


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return [*out, ""]


def _sizes(r: dict[str, Any]) -> list[str]:
    return list(r.get("queries", {}))


def _chunks(r: dict[str, Any], label: str) -> int:
    return int(r["queries"][label]["warm"]["chunks"])


def _pair(summary: dict[str, float] | None) -> str:
    if not summary:
        return "–"
    return f"{summary['p50_ms']:.1f} / {summary['p95_ms']:.1f}"


def machine_section(r: dict[str, Any]) -> list[str]:
    m = r["machine"]
    v = m["versions"]
    load = ", ".join(f"{x:.1f}" for x in m["load_avg_at_start"])
    return [
        f"Run {m['date']} on {m['cpu_model']}, {m['cores']} cores ({m['usable_cores']} usable), "
        f"{m['memory_gb']} GB RAM; Python {m['python']}, onnxruntime {v['onnxruntime']}, "
        f"chromadb {v['chromadb']}, numpy {v['numpy']}, bm25s {v['bm25s']}, "
        f"langchain-chroma {v['langchain-chroma']}. Load average at start: {load} "
        "(the machine is shared: every figure is a median or percentile of repeated runs, and "
        "the cold figures are ratios to a reference timed in the same run).",
        f"Total runtime of this run: {r.get('total_s', 0) / 60:.1f} min "
        f"(arguments: {r['args']}).",
        "",
    ]


def embedding_section(r: dict[str, Any]) -> list[str]:
    e = r["embedding"]
    rows = []
    for label, d in (("seed chunks", e["seeds"]), ("generated chunk-like texts", e["generated"])):
        rows.append([label, _f(d["texts"]), _f(d["mean_tokens"]), _f(d["tokens_per_s"]),
                     _f(d["chunks_per_s"], 1)])  # fmt: skip
    for label, d in e["ordering"].items():
        name = f"generated, batch {e['batch']}, {label} by length"
        rows.append([name, _f(d["texts"]), _f(d["mean_tokens"]), _f(d["tokens_per_s"]),
                     _f(d["chunks_per_s"], 1)])  # fmt: skip
    met = e["generated"]["tokens_per_s"] >= GOALS["embed_tokens_per_s"]
    return [
        "## Embedding (all-MiniLM-L6-v2 on onnxruntime, end-to-end through the embedder)",
        "",
        f"One-time conversion + session on a fresh install: **{e['first_use_s']:.1f} s**. "
        f"Threads {e['threads']}, batch {e['batch']}. Median of 3 runs each.",
        "",
        *_table(["texts", "n", "tokens/text", "tokens/s", "chunks/s"], rows),
        f"- Machine GEMM limit, numpy float32 at the model's shape (8192×384 @ 384×1536), "
        f"measured in this run: **{e['gemm_gflops']:.0f} GFLOP/s** best of 15, "
        f"{e['gemm_gflops_median']:.0f} median (1024³: {e['gemm_square_gflops']:.0f} best, "
        f"{e['gemm_square_gflops_median']:.0f} median). The machine is shared, so best and "
        "median differ: the best is what the cores can do, the median what we got.",
        f"- The model needs {e['dense_mflop_per_token']:.1f} MFLOP/token in its dense layers "
        f"({e['mflop_per_token_at_mean']:.1f} with attention at the mean length), so the "
        f"ceiling is **{e['ceiling_tokens_per_s']:,.0f} tokens/s** at the best GEMM rate "
        f"({e['ceiling_tokens_per_s_median']:,.0f} at the median). Embedding 128 of the texts 5 "
        "times: "
        f"best {e['spread']['best_tokens_per_s']:,.0f}, median "
        f"{e['spread']['median_tokens_per_s']:,.0f} tokens/s — best against best, "
        f"{e['efficiency']:.0%} of the ceiling.",
        f"- Goal ≥ {GOALS['embed_tokens_per_s']:,} tokens/s needs "
        f"{e['gflops_needed_for_goal']:.0f} GFLOP/s of sustained GEMM: "
        f"{'**met**' if met else '**not met**'} by the median "
        f"({e['generated']['tokens_per_s']:,.0f} tokens/s"
        + ("" if met else f", {GOALS['embed_tokens_per_s'] / e['generated']['tokens_per_s']:.2f}"
           "x short")
        + "); best run "
        f"{e['spread']['best_tokens_per_s']:,.0f} tokens/s.",
        f"- Warm query embedding: {e['query_latency_ms']:.1f} ms.",
        "",
    ]


def ingest_section(r: dict[str, Any]) -> list[str]:
    rows = []
    for label, d in r["ingest"].items():
        rows.append([
            label, d["mode"], _f(d["chunks"]), _f(d["seconds"], 1), _f(d["chunks_per_s"], 1),
            _f(d["tokens_per_s"]), _f(d["write_phase_s"], 1), _f(d["bm25_phase_s"], 1),
            _f(d["rss_ready_mb"]), _f(d["rss_peak_write_mb"]), _f(d["rss_peak_mb"]),
            _f(d["vm_hwm_mb"]), _f(d["ru_maxrss_mb"]),
        ])  # fmt: skip
    cv = r["composed_vectors"]
    return [
        "## Ingestion (`assistant.retrieval.indexer.sync` from files on disk, one process each)",
        "",
        "**end-to-end** rows embed every chunk with the real model. **composed** rows give each "
        "chunk the normalised mean of the real vectors of the seed sentences it holds "
        f"({cv['sentences']} sentences embedded once, {cv['seconds']:.1f} s, incl. first use); "
        "everything else — loading, chunking, langchain-chroma writes, catalog, BM25 rebuild — "
        "is the real code. So composed chunks/s is ingest *without* embedding; "
        "embedding costs what the table above says on top.",
        "",
        *_table(
            ["corpus", "mode", "chunks", "s", "chunks/s", "embed tok/s", "embed+write s",
             "BM25 s", "RSS ready MB", "peak RSS embed+write MB", "peak RSS MB",
             "VmHWM MB", "ru_maxrss MB"],
            rows,
        ),
        "RSS is sampled every 0.1 s; *ready* is after imports and the model load; *embed+write* "
        "is the batch loop (prepare → embed → Chroma → catalog), BM25 the rebuild after it. "
        "ru_maxrss is reported as asked, but Linux carries it across exec from the parent "
        "(`run_all`, which holds the model), so VmHWM (this process's own peak) is the figure "
        "to read.",
        "",
    ]


def query_section(r: dict[str, Any]) -> list[str]:
    rows, cold_rows = [], []
    for label in _sizes(r):
        w, c = r["queries"][label]["warm"], r["queries"][label]["cold"]
        rows.append([
            label, _f(w["chunks"]),
            f"{w['hybrid']['p50_ms']:.1f} / {w['hybrid']['p95_ms']:.1f}",
            _pair(w.get("hybrid_filtered")),
            f"{w['answer_full']['p50_ms']:.1f} / {w['answer_full']['p95_ms']:.1f}",
            f"{w['extractive_only']['p50_ms']:.1f} / {w['extractive_only']['p95_ms']:.1f}",
            _f(w["embed_query"]["p50_ms"], 1), _f(w["chroma_query"]["p50_ms"], 1),
            _f(w["bm25_search"]["p50_ms"], 1), _f(w["open_s"], 2), _f(w["rss_mb"]),
        ])  # fmt: skip
        cold_rows.append([
            label, _f(c["import_chromadb_s"], 2), _f(c["ask_s"], 2), f"{c['ask_ratio']:.2f}x",
            _f(c["retrieve_s"], 2), f"{c['retrieve_ratio']:.2f}x",
        ])  # fmt: skip
    n_q = next(iter(r["queries"].values()))["warm"]
    return [
        "## Queries",
        "",
        f"{n_q['questions']} questions from `evals/seeds.yaml`, {n_q['rounds']} passes after two "
        "warm-up questions, in one process (warm). p50 / p95 in ms. *hybrid* = "
        "`HybridRetriever.retrieve` (query embedding + Chroma + BM25 + catalog check + fusion); "
        "*one outlet* = the same restricted to the Global Times (Chroma `where` + BM25 filter), as "
        "`Assistant` does when a question names one outlet; "
        "*full answer* = `Assistant.ask` (retrieval + extractive answer); *extractive* = the "
        "answerer alone. The last three columns time the parts of retrieval on their own.",
        "",
        *_table(
            ["index", "chunks", "hybrid", "hybrid, one outlet", "full answer", "extractive",
             "embed q",
             "Chroma q", "BM25 q", "open s", "RSS MB"],
            rows,
        ),
        "Cold: new processes, median wall time; `python -c \"import chromadb\"` is timed in the "
        "same loop as the reference. *retrieve* is `bench/query_bench.py retrieve` (open the "
        "index, retrieve once, print ids).",
        "",
        *_table(
            ["index", "import chromadb s", "assistant ask s", "ratio", "retrieve-only s",
             "ratio"],
            cold_rows,
        ),
    ]


def timeline_section(r: dict[str, Any]) -> list[str]:
    sizes = _sizes(r)
    steps = list(r["queries"][sizes[0]]["cold"].get("timeline", {}))
    if not steps:
        return []
    rows = [
        [step, *(_f(r["queries"][s]["cold"]["timeline"].get(step, 0) * 1000) for s in sizes)]
        for step in steps
    ]
    return [
        "Where a cold question's time goes (ms, median of 3 fresh processes, in order; "
        "python's own start-up and exit are not included):",
        "",
        *_table(["step", *sizes], rows),
    ]


def server_section(r: dict[str, Any]) -> list[str]:
    s = r.get("server")
    if not s:
        return []
    w, c, i = s["warm"], s["cold"], s["ingest"]
    embedded = r["queries"].get(str(s["chunks"]))
    rows = [[
        "server (`chroma run`, HTTP on loopback)", _f(i["chunks_per_s"], 1),
        f"{w['hybrid']['p50_ms']:.1f} / {w['hybrid']['p95_ms']:.1f}",
        _f(w["chroma_query"]["p50_ms"], 1),
        f"{w['answer_full']['p50_ms']:.1f} / {w['answer_full']['p95_ms']:.1f}",
        f"{c['ask_s']:.2f} ({c['ask_ratio']:.2f}x)", _f(w["rss_mb"]), _f(i["vm_hwm_mb"]),
    ]]  # fmt: skip
    if embedded:
        ew, ec = embedded["warm"], embedded["cold"]
        ei = r["ingest"].get(f"composed-{s['chunks']}", {})
        rows.insert(0, [
            "embedded (same size)", _f(ei.get("chunks_per_s"), 1),
            f"{ew['hybrid']['p50_ms']:.1f} / {ew['hybrid']['p95_ms']:.1f}",
            _f(ew["chroma_query"]["p50_ms"], 1),
            f"{ew['answer_full']['p50_ms']:.1f} / {ew['answer_full']['p95_ms']:.1f}",
            f"{ec['ask_s']:.2f} ({ec['ask_ratio']:.2f}x)", _f(ew["rss_mb"]),
            _f(ei.get("vm_hwm_mb")),
        ])  # fmt: skip
    return [
        f"## Chroma server mode ({_f(s['chunks'])} chunks, composed vectors)",
        "",
        *_table(
            ["store", "ingest chunks/s", "hybrid p50/p95", "Chroma q p50", "full answer p50/p95",
             "cold ask s", "query client RSS MB", "ingest client peak MB"],
            rows,
        ),
    ]


def goals_section(r: dict[str, Any]) -> list[str]:
    e = r["embedding"]["generated"]["tokens_per_s"]
    eb = r["embedding"]["spread"]["best_tokens_per_s"]
    sizes = _sizes(r)
    biggest = max(sizes, key=lambda s: _chunks(r, s))
    bw = r["queries"][biggest]["warm"]
    ratios = [r["queries"][s]["cold"]["ask_ratio"] for s in sizes]
    ext = [r["queries"][s]["warm"]["extractive_only"]["p50_ms"] for s in sizes]
    full = [r["queries"][s]["warm"]["answer_full"]["p50_ms"] for s in sizes]
    ing = [d for k, d in r["ingest"].items() if d["mode"] == "composed"]
    writes = [d["rss_peak_write_mb"] for d in ing]
    peaks = [d["vm_hwm_mb"] for d in ing]
    sizes_txt = ", ".join(_f(d["chunks"]) for d in ing)

    def yes(ok: bool) -> str:
        return "**met**" if ok else "**not met**"

    return [
        "## Goals",
        "",
        *_table(
            ["goal", "measured", "verdict"],
            [
                [f"embedding ≥ {GOALS['embed_tokens_per_s']:,} tokens/s on 2 cores",
                 f"median {e:,.0f} tokens/s (200 texts, 3 runs); best of 5 runs on 128 of "
                 f"them {eb:,.0f} (GEMM ceiling "
                 f"{r['embedding']['ceiling_tokens_per_s']:,.0f} best, "
                 f"{r['embedding']['ceiling_tokens_per_s_median']:,.0f} median)",
                 yes(e >= GOALS["embed_tokens_per_s"])
                 + (" (met by the best run)"
                    if e < GOALS["embed_tokens_per_s"] <= eb else "")],
                [f"hybrid query p50 ≤ 100 ms at the largest index ({_f(_chunks(r, biggest))})",
                 f"{bw['hybrid']['p50_ms']:.1f} ms (p95 {bw['hybrid']['p95_ms']:.1f}); "
                 f"one outlet {_pair(bw.get('hybrid_filtered'))} ms",
                 yes(bw["hybrid"]["p50_ms"] <= GOALS["hybrid_p50_ms_100k"])],
                ["ingest memory flat beyond model + one batch",
                 f"peak RSS in the embed+write loop {', '.join(_f(x) for x in writes)} MB; "
                 f"whole run (incl. BM25 rebuild) {', '.join(_f(x) for x in peaks)} MB "
                 f"at {sizes_txt} chunks",
                 "see analysis"],
                ["cold `assistant ask` ≤ 1.6x `import chromadb`",
                 ", ".join(f"{x:.2f}x" for x in ratios) + f" ({', '.join(sizes)})",
                 yes(max(ratios) <= GOALS["cold_ratio"])],
                ["warm extractive answer p50 ≤ 50 ms",
                 f"answerer alone {', '.join(f'{x:.1f}' for x in ext)} ms; with retrieval "
                 f"{', '.join(f'{x:.1f}' for x in full)} ms",
                 yes(max(ext) <= GOALS["extractive_p50_ms"])
                 + ("" if max(full) <= GOALS["extractive_p50_ms"] else " (answerer alone)")],
            ],
        ),
    ]  # fmt: skip


def before_after(r: dict[str, Any], before: dict[str, Any]) -> list[str]:
    rows = []

    def add(name: str, get: Any, digits: int = 1) -> None:
        try:
            b, a = get(before), get(r)
        except (KeyError, TypeError, StopIteration):
            return
        rows.append([name, _f(b, digits), _f(a, digits), f"{a / b:.2f}x" if b else "–"])

    add("embedding tokens/s (generated)", lambda x: x["embedding"]["generated"]["tokens_per_s"], 0)
    for label in _sizes(r):
        add(f"{label}: hybrid p50 ms",
            lambda x, s=label: x["queries"][s]["warm"]["hybrid"]["p50_ms"])  # fmt: skip
        add(f"{label}: BM25 query p50 ms",
            lambda x, s=label: x["queries"][s]["warm"]["bm25_search"]["p50_ms"], 2)  # fmt: skip
        add(f"{label}: full answer p50 ms",
            lambda x, s=label: x["queries"][s]["warm"]["answer_full"]["p50_ms"])  # fmt: skip
        add(f"{label}: cold ask / import chromadb",
            lambda x, s=label: x["queries"][s]["cold"]["ask_ratio"], 2)  # fmt: skip
        add(f"{label}: cold ask s", lambda x, s=label: x["queries"][s]["cold"]["ask_s"], 2)
    for label in r["ingest"]:
        add(f"ingest {label}: chunks/s", lambda x, s=label: x["ingest"][s]["chunks_per_s"])
        add(f"ingest {label}: VmHWM MB", lambda x, s=label: x["ingest"][s]["vm_hwm_mb"], 0)
    if r.get("server") and before.get("server"):
        add("server: hybrid p50 ms", lambda x: x["server"]["warm"]["hybrid"]["p50_ms"])
    return [
        "## Before / after the fixes",
        "",
        f"Before: the run of {before['machine']['date']} (`bench/results-before.json`); after: "
        "this run. Different runs on a noisy machine: read ratios of 0.8–1.2x as noise.",
        "",
        *_table(["metric", "before", "after", "after/before"], rows),
    ]


def render(r: dict[str, Any], before: dict[str, Any] | None, notes: str) -> str:
    lines = ["# Benchmark results", "", "Written by `make bench` (`bench/run_all.py`).", ""]
    lines += machine_section(r)
    lines += goals_section(r)
    lines += embedding_section(r)
    lines += ingest_section(r)
    lines += query_section(r)
    lines += timeline_section(r)
    lines += server_section(r)
    if before is not None:
        lines += before_after(r, before)
    lines += ["![latency against corpus size](latency_vs_size.png)", ""]
    if notes:
        lines += [notes.strip(), ""]
    return "\n".join(lines)


def plot(r: dict[str, Any], dest: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = sorted(_sizes(r), key=lambda s: _chunks(r, s))
    x = [_chunks(r, s) for s in labels]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    series = [
        ("hybrid p50", lambda w: w["hybrid"]["p50_ms"], "o-"),
        ("hybrid p95", lambda w: w["hybrid"]["p95_ms"], "o--"),
        ("hybrid, one outlet p50", lambda w: w.get("hybrid_filtered", {}).get("p50_ms"), "x-"),
        ("full answer p50", lambda w: w["answer_full"]["p50_ms"], "s-"),
        ("Chroma query p50", lambda w: w["chroma_query"]["p50_ms"], "^-"),
        ("BM25 query p50", lambda w: w["bm25_search"]["p50_ms"], "v-"),
    ]
    for name, get, style in series:
        ax.plot(x, [get(r["queries"][s]["warm"]) for s in labels], style, label=name)
    cold = [r["queries"][s]["cold"]["ask_s"] * 1000 for s in labels]
    ax.plot(x, cold, "d:", label="cold `assistant ask` (wall)")
    ax.axhline(100, color="grey", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("corpus size (chunks)")
    ax.set_ylabel("latency (ms)")
    ax.set_title("Query latency against corpus size (warm unless noted)")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(dest, dpi=110)
    plt.close(fig)


def write(r: dict[str, Any], out: Path) -> None:
    before_file = out / "results-before.json"
    before = json.loads(before_file.read_text()) if before_file.exists() else None
    notes_file = out / "NOTES.md"
    notes = notes_file.read_text(encoding="utf-8") if notes_file.exists() else ""
    plot(r, out / "latency_vs_size.png")
    text = render(r, before, notes)
    speed_file = out / "ingest_speed.json"
    if speed_file.exists():  # bench/ingest_speed.py's section survives a `make bench`
        from bench.ingest_speed import section

        text = text.rstrip("\n") + "\n\n" + section(json.loads(speed_file.read_text())) + "\n"
    (out / "RESULTS.md").write_text(text, encoding="utf-8")
