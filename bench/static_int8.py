"""Faster MiniLM embedding without losing retrieval: static int8, fewer tokens, session options.

    .venv/bin/python bench/static_int8.py [--week 20220916] [--chunks 700] [--rounds 6]
        [--variant NAME ...] [--out bench/static_int8.json]

Issue 13's embedding target is 1.5x fp32 tokens/s with recall@6 within 1 point; the dynamic
int8 graphs reach 1.12-1.37x (bench/int8_variants.py). This script measures what that left
untried, each candidate against the fused fp32 graph in the same run:

- **static int8** (``onnxruntime.quantization.quantize_static``): per-channel int8 weights,
  activation scales fixed by calibration on chunks of the four RealTime QA *dev* weeks (never
  the seeds or a report week), in QDQ or QOperator format, on all weight MatMuls or the
  feed-forward ones only, MinMax or percentile calibration;
- **fewer tokens**: fp32 with the tokenizer truncating at 128 tokens (MiniLM was trained at
  128; the package says 256) — the share of tokens it drops is printed per dev week;
- **session options**: graph optimization level, spinning threads off.

Per candidate: cosine of its vectors to fp32 (``--chunks`` chunks of ``--week``, the articles
its questions cite first, and every dev week's questions), the share of each question's fp32
top 6 chunks it also ranks top 6, and speed on 96 of the chunks: each round embeds them once
with every config in turn (fp32 first), and the figure is the **median over rounds of the
ratio to that round's fp32** (a load change between rounds cancels; best-of-N does not).
Prints one JSON line a variant and writes ``--out``. Recall@6 is bench/quantized_recall.py's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from assistant.retrieval.embeddings import padded  # noqa: E402
from bench.int8_variants import (  # noqa: E402
    ATTN_OUT,
    DEV_WEEKS,
    FFN_IN,
    FFN_OUT,
    chunk_texts,
    questions,
    top6,
)

# name → how to build it. kind: static (quantize_static options), dynamic (int8v3 as shipped),
# fp32 (the fused graph with other tokenizer or session options).
VARIANTS: dict[str, dict[str, Any]] = {
    "dyn-ffn": {"kind": "dynamic"},  # int8v3, the reference
    "qdq-ffn-u8": {"kind": "static", "format": "qdq", "nodes": FFN_IN + FFN_OUT, "act": "u8"},
    "qdq-ffn-u8-outq": {
        "kind": "static",
        "format": "qdq",
        "nodes": FFN_IN + FFN_OUT,
        "act": "u8",
        "out_q": True,
    },
    "qdq-ffn-s8": {"kind": "static", "format": "qdq", "nodes": FFN_IN + FFN_OUT, "act": "s8"},
    "qdq-all-u8": {
        "kind": "static",
        "format": "qdq",
        "nodes": ATTN_OUT + FFN_IN + FFN_OUT,
        "act": "u8",
    },
    "qop-ffn-u8": {"kind": "static", "format": "qop", "nodes": FFN_IN + FFN_OUT, "act": "u8"},
    "qdq-ffn-u8-pct": {
        "kind": "static",
        "format": "qdq",
        "nodes": FFN_IN + FFN_OUT,
        "act": "u8",
        "method": "percentile",
    },
    "fp32-seq128": {"kind": "fp32", "max_len": 128},
    "fp32-nospin": {"kind": "fp32", "spin": False},
    "fp32-opt-extended": {"kind": "fp32", "opt": "extended"},
}


def calibration_texts(n: int, settings: Any) -> list[str]:
    """``n`` chunks spread evenly over the four dev weeks (every k-th chunk in file-name order
    per week): dev data only, never the seeds or a report week."""
    from assistant.ingest.prepare import prepare

    per_week = -(-n // len(DEV_WEEKS))
    out: list[str] = []
    for week in DEV_WEEKS:
        corpus = ROOT / "evals/realtimeqa/corpus" / week
        texts = [
            c.text for p in sorted(corpus.iterdir()) for c in prepare(p, p.name, settings).chunks
        ]
        step = max(1, len(texts) // per_week)
        out += texts[::step][:per_week]
    return out[:n]


class ChunkReader:
    """Calibration batches as the embedder feeds them: length-sorted, ``batch`` texts, padded.
    ``width``: only texts of at least that many tokens, cut to it (the last token kept), so
    every batch has one shape — the percentile calibrator cannot stack ragged batches."""

    def __init__(
        self, embedder: Any, texts: list[str], batch: int = 8, width: int | None = None
    ) -> None:
        ids = sorted(embedder._encode(texts), key=len)
        if width:
            ids = [r[: width - 1] + r[-1:] for r in ids if len(r) >= width]
        self._feeds = []
        for start in range(0, len(ids) - (len(ids) % batch if width else 0), batch):
            self._feeds.append(padded(ids[start : start + batch]))
        self._it = iter(self._feeds)

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._it, None)

    def rewind(self) -> None:
        self._it = iter(self._feeds)


def build_static(fp32: Path, dest: Path, opts: dict[str, Any], readers: dict[str, Any]) -> None:
    import onnx
    from onnxruntime.quantization import (
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.tools.symbolic_shape_infer import SymbolicShapeInference

    from assistant.retrieval.onnx_minilm import _load, _quiet_logging, name_nodes

    # The calibrator only collects ranges for tensors with a known type; onnx's shape
    # inference skips the fused contrib ops, onnxruntime's symbolic one does not.
    model = SymbolicShapeInference.infer_shapes(name_nodes(_load(fp32)), auto_merge=True)
    src = dest.with_suffix(".named.onnx")
    onnx.save(model, str(src))
    acts = {"u8": QuantType.QUInt8, "s8": QuantType.QInt8}
    methods = {"minmax": CalibrationMethod.MinMax, "percentile": CalibrationMethod.Percentile}
    method = opts.get("method", "minmax")
    reader = readers[method]
    reader.rewind()
    with _quiet_logging():
        quantize_static(
            str(src),
            str(dest),
            reader,
            quant_format=QuantFormat.QDQ if opts["format"] == "qdq" else QuantFormat.QOperator,
            op_types_to_quantize=["MatMul"],
            nodes_to_quantize=list(opts["nodes"]),
            per_channel=True,
            activation_type=acts[opts["act"]],
            weight_type=QuantType.QInt8,
            calibrate_method=methods[method],
            extra_options={
                "MatMulConstBOnly": True,
                "DefaultTensorType": onnx.TensorProto.FLOAT,
                "CalibPercentile": 99.999,
                # fp32 products (MatMulIntegerToFloat) rather than 8-bit ones (QLinearMatMul)
                "OpTypesToExcludeOutputQuantization": [] if opts.get("out_q") else ["MatMul"],
            },
        )
    src.unlink()


def make(
    name: str, opts: dict[str, Any], settings: Any, models: Path, readers: dict[str, Any]
) -> Any:
    from assistant.retrieval.embeddings import MiniLMOnnxEmbedder
    from assistant.retrieval.onnx_minilm import ensure_onnx, ensure_quantized

    emb = MiniLMOnnxEmbedder(settings, quantized=False, spin=opts.get("spin", True))
    if opts["kind"] == "dynamic":
        emb._session = emb._open(ensure_quantized(models))
    elif opts["kind"] == "static":
        dest = models / f"static-{name}.onnx"
        if not dest.exists():
            started = time.perf_counter()
            build_static(ensure_onnx(models), dest, opts, readers)
            print(f"# built {name} in {time.perf_counter() - started:.0f} s", flush=True)
        emb._session = emb._open(dest)
    else:
        if "opt" in opts:
            import onnxruntime as ort

            level = {
                "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
                "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
            }[opts["opt"]]
            o = ort.SessionOptions()
            o.graph_optimization_level = level
            o.intra_op_num_threads = emb.threads
            o.inter_op_num_threads = 1
            o.log_severity_level = 3
            emb._session = ort.InferenceSession(
                str(ensure_onnx(models)), o, providers=["CPUExecutionProvider"]
            )
        if "max_len" in opts:
            emb._ensure_tokenizer().enable_truncation(max_length=opts["max_len"])
    return emb


def token_lengths(settings: Any, embedder: Any) -> dict[str, Any]:
    """Per dev week: chunks, token-length percentiles and the share of tokens past 128."""
    from assistant.ingest.prepare import prepare

    out = {}
    for week in DEV_WEEKS:
        corpus = ROOT / "evals/realtimeqa/corpus" / week
        texts = [
            c.text for p in sorted(corpus.iterdir()) for c in prepare(p, p.name, settings).chunks
        ]
        lengths = np.array([len(x) for x in embedder._encode(texts)])
        out[week] = {
            "chunks": len(texts),
            "mean": round(float(lengths.mean()), 1),
            "p50_p90_p99_max": [int(np.percentile(lengths, p)) for p in (50, 90, 99)]
            + [int(lengths.max())],
            "over_128": round(float((lengths > 128).mean()), 3),
            "tokens_kept_at_128": round(float(np.minimum(lengths, 128).sum() / lengths.sum()), 3),
        }
    return out


def gemm_ceiling(models: Path, rounds: int, rows: int = 1024) -> dict[str, Any]:
    """What int8 products can give on this CPU: one feed-forward MatMul at the model's shapes
    (``rows`` tokens x 384 @ 384 x 1536, and 1536 -> 384) as a one-node onnxruntime graph, fp32
    against its dynamic int8 quantization (MatMulIntegerToFloat after the session's fusions).
    Median over rounds of the per-round ratio, both run in each round."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper
    from onnxruntime.quantization import QuantType, quantize_dynamic

    rng = np.random.default_rng(0)
    out: dict[str, Any] = {}
    for k, n in ((384, 1536), (1536, 384)):
        w = rng.standard_normal((k, n)).astype(np.float32) * 0.05
        graph = helper.make_graph(
            [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
            "mm",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["m", k])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["m", n])],
            [numpy_helper.from_array(w, "w")],
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        f32 = models / f"gemm-{k}x{n}.onnx"
        i8 = models / f"gemm-{k}x{n}-int8.onnx"
        onnx.save(model, str(f32))
        quantize_dynamic(str(f32), str(i8), weight_type=QuantType.QInt8, per_channel=True)
        o = ort.SessionOptions()
        o.intra_op_num_threads = os.cpu_count() or 1
        o.log_severity_level = 3
        sessions = [
            ort.InferenceSession(str(p), o, providers=["CPUExecutionProvider"]) for p in (f32, i8)
        ]
        x = rng.standard_normal((rows, k)).astype(np.float32)
        flops = 2 * rows * k * n
        rates: list[list[float]] = [[], []]
        for s in sessions:
            s.run(None, {"x": x})
        for _ in range(rounds):
            for i, s in enumerate(sessions):
                t = time.perf_counter()
                for _ in range(10):
                    s.run(None, {"x": x})
                rates[i].append(10 * flops / (time.perf_counter() - t) / 1e9)
        out[f"{k}x{n}"] = {
            "fp32_gflops_median": round(statistics.median(rates[0]), 1),
            "int8_gops_median": round(statistics.median(rates[1]), 1),
            "int8_ratio_median": round(
                statistics.median(b / a for a, b in zip(*rates, strict=True)), 3
            ),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--week", default="20220916", choices=DEV_WEEKS)
    parser.add_argument("--chunks", type=int, default=700)
    parser.add_argument("--calib", type=int, default=256, help="calibration chunks (dev weeks)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--variant", action="append", default=[], choices=sorted(VARIANTS))
    parser.add_argument("--models", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/static_int8.json")
    parser.add_argument(
        "--alternate", action="store_true", help="reverse the order every 2nd round"
    )
    parser.add_argument("--gemm-only", action="store_true", help="only the int8 GEMM ceiling")
    args = parser.parse_args()

    from assistant.retrieval.embeddings import MiniLMOnnxEmbedder
    from assistant.settings import load_settings

    models = args.models or Path(tempfile.mkdtemp(prefix="static8-models-"))
    models.mkdir(parents=True, exist_ok=True)
    settings = load_settings(
        data_dir=Path(tempfile.mkdtemp(prefix="static8-")), model_cache_dir=models
    )
    load_start = os.getloadavg()
    if args.gemm_only:
        print(json.dumps({"gemm": gemm_ceiling(models, args.rounds), "load": os.getloadavg()}))
        return
    fp32 = MiniLMOnnxEmbedder(settings, quantized=False)
    fp32.prepare()
    lengths = token_lengths(settings, fp32)
    print(json.dumps({"token_lengths": lengths}), flush=True)
    texts = chunk_texts(args.week, args.chunks, settings)
    qs = questions()
    timing = texts[:: max(1, len(texts) // 96)][:96]
    calib = calibration_texts(args.calib, settings)
    readers = {
        "minmax": ChunkReader(fp32, calib),
        "percentile": ChunkReader(fp32, calib, width=128),
    }

    base_docs = fp32.embed_documents(texts)
    base_q = np.stack([fp32.embed_query(q) for q in qs])
    base_top = top6(base_q, base_docs)

    names = args.variant or list(VARIANTS)
    embedders = {}
    quality = {}
    for name in names:
        emb = make(name, VARIANTS[name], settings, models, readers)
        docs = emb.embed_documents(texts)
        qv = np.stack([emb.embed_query(q) for q in qs])
        doc_cos = np.sum(docs * base_docs, axis=1)
        q_cos = np.sum(qv * base_q, axis=1)
        got = top6(qv, docs)
        quality[name] = {
            "doc_cos_mean": round(float(doc_cos.mean()), 5),
            "doc_cos_min": round(float(doc_cos.min()), 5),
            "q_cos_mean": round(float(q_cos.mean()), 5),
            "top6_overlap": round(
                float(
                    np.mean([len(set(a) & set(b)) / 6 for a, b in zip(base_top, got, strict=True)])
                ),
                4,
            ),
            "top1_same": round(float(np.mean(base_top[:, 0] == got[:, 0])), 4),
        }
        print(json.dumps({"variant": name, **quality[name]}), flush=True)
        embedders[name] = emb

    # Speed: every round embeds the timing chunks with fp32, then each variant in turn.
    fp32_tokens = fp32.count_tokens(timing)
    per_round: dict[str, list[dict[str, float]]] = {n: [] for n in names}
    fp32_rates: list[float] = []
    for emb in [fp32, *embedders.values()]:
        emb.embed_documents(timing[:8])  # warm
    order = ["fp32", *embedders]
    runners = {"fp32": fp32, **embedders}
    for i in range(args.rounds):
        # --alternate: odd rounds run the configs in reverse, fp32 last, so a position effect
        # (fp32 always first) cannot pass for a speed-up.
        seconds = {}
        for name in reversed(order) if args.alternate and i % 2 else order:
            t = time.perf_counter()
            runners[name].embed_documents(timing)
            seconds[name] = time.perf_counter() - t
        fp32_s = seconds["fp32"]
        fp32_rates.append(fp32_tokens / fp32_s)
        for name, emb in embedders.items():
            s = seconds[name]
            per_round[name].append(
                {
                    "tokens_s": emb.count_tokens(timing) / s,
                    "tokens_ratio": (emb.count_tokens(timing) / s) / (fp32_tokens / fp32_s),
                    "chunks_ratio": fp32_s / s,  # same chunks: per-chunk speed vs fp32
                }
            )
    rows = []
    for name in names:
        r = per_round[name]
        row = {
            "variant": name,
            "options": {k: v for k, v in VARIANTS[name].items() if k != "nodes"}
            | ({"nodes": len(VARIANTS[name]["nodes"])} if "nodes" in VARIANTS[name] else {}),
            **quality[name],
            "tokens_s_median": round(statistics.median(x["tokens_s"] for x in r)),
            "tokens_ratio_median": round(statistics.median(x["tokens_ratio"] for x in r), 3),
            "tokens_ratio_range": [
                round(min(x["tokens_ratio"] for x in r), 3),
                round(max(x["tokens_ratio"] for x in r), 3),
            ],
            "chunks_ratio_median": round(statistics.median(x["chunks_ratio"] for x in r), 3),
        }
        print(json.dumps(row), flush=True)
        rows.append(row)
    gemm = gemm_ceiling(models, args.rounds)
    print(json.dumps({"gemm": gemm}), flush=True)
    meta = {
        "gemm": gemm,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "week": args.week,
        "chunks": len(texts),
        "questions": len(qs),
        "calibration_chunks": args.calib,
        "timing_texts": len(timing),
        "rounds": args.rounds,
        "alternate": args.alternate,
        "fp32_tokens_s_median": round(statistics.median(fp32_rates)),
        "threads": fp32.threads,
        "load_start": [round(x, 2) for x in load_start],
        "load_end": [round(x, 2) for x in os.getloadavg()],
        "token_lengths": lengths,
    }
    args.out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
