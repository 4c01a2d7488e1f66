"""Which int8 quantization of the fused MiniLM keeps retrieval: a cheap proxy before recall@6.

    .venv/bin/python bench/int8_variants.py [--week 20220916] [--chunks 700] [--variant NAME ...]

One dev week's chunks (the articles its questions cite, then others in name order up to
``--chunks``) and every dev week's questions are embedded with the fused fp32 graph and with
each variant. Per variant: the cosine of its vectors to fp32 (chunks and questions), the share
of each question's fp32 top 6 chunks (by cosine) that the variant also ranks in its top 6, and
tokens/s against fp32 on the same 96 chunks, interleaved (fp32, variant, fp32, ...; best of
``--rounds``) so a load change favours neither. Dev weeks only: never report weeks, never the
seeds. Prints one JSON line a variant and writes ``--out``.
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

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEV_WEEKS = ("20220715", "20220916", "20221111", "20230106")
LAYERS = 6
ATTN = [f"Attention_{i}" for i in range(LAYERS)]
ATTN_OUT = [f"encoder.layer.{i}.attention.output.dense" for i in range(LAYERS)]
FFN_IN = [f"encoder.layer.{i}.intermediate.dense" for i in range(LAYERS)]
FFN_OUT = [f"encoder.layer.{i}.output.dense" for i in range(LAYERS)]


def layer(i: int) -> list[str]:
    return [ATTN[i], ATTN_OUT[i], FFN_IN[i], FFN_OUT[i]]


# name → quantize options (weight type, per channel, reduce range, op types, excluded nodes)
VARIANTS: dict[str, dict[str, Any]] = {
    "s8-all": {},  # what `embedding.quantized` runs today (QUANT_VERSION 2)
    "s8-reduce": {"reduce_range": True},
    "u8-all": {"weight": "u8"},
    "u8-reduce": {"weight": "u8", "reduce_range": True},
    "s8-tensor": {"per_channel": False},
    "s8-no-attn": {"exclude": ATTN},
    "s8-no-ffnout": {"exclude": FFN_OUT},
    "s8-no-ends": {"exclude": layer(0) + layer(LAYERS - 1)},
    "s8-ffn-only": {"exclude": ATTN + ATTN_OUT},
    "s8-ffnin-only": {"exclude": ATTN + ATTN_OUT + FFN_OUT},
    "u8-ffn-only": {"weight": "u8", "exclude": ATTN + ATTN_OUT},
    "u8-no-ffnout": {"weight": "u8", "exclude": FFN_OUT},
    "s8-ffn-mid": {"exclude": sorted(set(ATTN + ATTN_OUT + layer(0) + layer(LAYERS - 1)))},
    "s8-no-attn-ffnout": {"exclude": ATTN + FFN_OUT},
}


def quantize_variant(fp32: Path, dest: Path, opts: dict[str, Any]) -> None:
    from assistant.retrieval.onnx_minilm import quantize

    quantize(
        fp32,
        dest,
        weight=opts.get("weight", "s8"),
        per_channel=opts.get("per_channel", True),
        reduce_range=opts.get("reduce_range", False),
        exclude=tuple(opts.get("exclude", ())),
    )


def chunk_texts(week: str, limit: int, settings: Any) -> list[str]:
    import yaml

    from assistant.ingest.prepare import prepare

    corpus = ROOT / "evals/realtimeqa/corpus" / week
    suite = yaml.safe_load((ROOT / f"evals/realtimeqa/realtimeqa-{week}.yaml").read_text())
    gold = sorted({s for case in suite for s in case.get("sources") or []})
    others = sorted(p.name for p in corpus.iterdir() if p.name not in gold)
    texts: list[str] = []
    for name in gold + others:
        texts += [c.text for c in prepare(corpus / name, name, settings).chunks]
        if len(texts) >= limit:
            break
    return texts[:limit]


def questions() -> list[str]:
    import yaml

    out: list[str] = []
    for week in DEV_WEEKS:
        suite = yaml.safe_load((ROOT / f"evals/realtimeqa/realtimeqa-{week}.yaml").read_text())
        out += [case["question"] for case in suite]
    return list(dict.fromkeys(out))


def top6(q: np.ndarray, docs: np.ndarray) -> np.ndarray:
    return np.argsort(-(q @ docs.T), axis=1, kind="stable")[:, :6]


def tokens_per_s(embedder: Any, texts: list[str]) -> float:
    tokens = embedder.count_tokens(texts)
    t = time.perf_counter()
    embedder.embed_documents(texts)
    return tokens / (time.perf_counter() - t)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--week", default="20220916", choices=DEV_WEEKS)
    parser.add_argument("--chunks", type=int, default=700)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--variant", action="append", default=[], choices=sorted(VARIANTS))
    parser.add_argument("--models", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/int8_variants.json")
    args = parser.parse_args()

    from assistant.retrieval.embeddings import MiniLMOnnxEmbedder
    from assistant.retrieval.onnx_minilm import ensure_onnx
    from assistant.settings import load_settings

    models = args.models or Path(tempfile.mkdtemp(prefix="int8v-models-"))
    models.mkdir(parents=True, exist_ok=True)
    settings = load_settings(
        data_dir=Path(tempfile.mkdtemp(prefix="int8v-")), model_cache_dir=models
    )
    texts = chunk_texts(args.week, args.chunks, settings)
    qs = questions()
    timing = texts[:: max(1, len(texts) // 96)][:96]
    load_start = os.getloadavg()

    fp32 = MiniLMOnnxEmbedder(settings, quantized=False)
    fp32.prepare()
    base_docs = fp32.embed_documents(texts)
    base_q = np.stack([fp32.embed_query(q) for q in qs])
    base_top = top6(base_q, base_docs)
    fp32_path = ensure_onnx(models)

    rows = []
    for name in args.variant or list(VARIANTS):
        dest = models / f"variant-{name}.onnx"
        if not dest.exists():
            quantize_variant(fp32_path, dest, VARIANTS[name])
        emb = MiniLMOnnxEmbedder(settings, quantized=True)
        emb._session = emb._open(dest)
        docs = emb.embed_documents(texts)
        qv = np.stack([emb.embed_query(q) for q in qs])
        doc_cos = np.sum(docs * base_docs, axis=1)
        q_cos = np.sum(qv * base_q, axis=1)
        got = top6(qv, docs)
        overlap = np.mean([len(set(a) & set(b)) / 6 for a, b in zip(base_top, got, strict=True)])
        same_first = float(np.mean(base_top[:, 0] == got[:, 0]))
        emb.embed_documents(timing[:8])
        base_speed, speed = 0.0, 0.0
        for _ in range(args.rounds):
            base_speed = max(base_speed, tokens_per_s(fp32, timing))
            speed = max(speed, tokens_per_s(emb, timing))
        row = {
            "variant": name,
            "options": VARIANTS[name],
            "doc_cos_mean": round(float(doc_cos.mean()), 5),
            "doc_cos_min": round(float(doc_cos.min()), 5),
            "q_cos_mean": round(float(q_cos.mean()), 5),
            "q_cos_min": round(float(q_cos.min()), 5),
            "top6_overlap": round(float(overlap), 4),
            "top1_same": round(same_first, 4),
            "fp32_tokens_s": round(base_speed),
            "tokens_s": round(speed),
            "speed_ratio": round(speed / base_speed, 3),
            "load": [round(x, 2) for x in os.getloadavg()],
        }
        print(json.dumps(row), flush=True)
        rows.append(row)
    meta = {
        "week": args.week,
        "chunks": len(texts),
        "questions": len(qs),
        "timing_texts": len(timing),
        "load_start": [round(x, 2) for x in load_start],
        "load_end": [round(x, 2) for x in os.getloadavg()],
    }
    args.out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
