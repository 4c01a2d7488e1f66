"""Fit the answer scorer on the RealTime QA development weeks (`make train`).

For each dev week: ingest its corpus into a cached index (once), retrieve the answerer's pool
for every question of the week's suite, turn each candidate sentence into the scorer's
features, and label it by whether it holds the gold answer. A class-balanced L2 logistic
regression is fitted on all dev weeks; the refusal threshold is chosen on leave-one-week-out
probabilities, for refusal precision ≥ 0.9 at the best refusal recall. Weights, split, data
hash, threshold and the out-of-fold dev metrics go to assistant/answer/scorer_weights.json.
Nothing from evals/seeds.yaml or the report weeks is read.

    python -m evals.train_scorer [--suites DIR] [--cache DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from assistant.answer.candidates import candidates
from assistant.answer.extractive import ExtractiveAnswerer
from assistant.answer.question import analyse
from assistant.answer.scorer import FEATURES, feature_rows
from assistant.types import Filters
from evals.matching import matches_groups

ROOT = Path(__file__).resolve().parent.parent
DEV_WEEKS = ("20220715", "20220916", "20221111", "20230106")
TARGET_PRECISION = 0.9
L2 = 1.0


@dataclass
class Example:
    week: str
    case_id: str
    answerable: bool
    rows: np.ndarray
    labels: np.ndarray  # per candidate: holds the gold answer


def _cases(suite: Path) -> list[dict[str, Any]]:
    return list(yaml.safe_load(suite.read_text(encoding="utf-8")) or [])


def _week_date(cases: list[dict[str, Any]]) -> str:
    dates = sorted(str(c["as_of"]) for c in cases if c.get("answerable", True) and c.get("as_of"))
    return dates[-1] if dates else ""


def _index(week: str, corpus: Path, cache: Path) -> Any:
    from assistant.answer.service import Assistant
    from assistant.retrieval.indexer import Indexer  # noqa: F401  (ingest below)
    from assistant.settings import load_settings

    settings = load_settings(data_dir=cache / week, seeds_dir=corpus)
    return Assistant.from_settings(settings)


def collect(week: str, suites: Path, cache: Path) -> list[Example]:
    suite = suites / f"realtimeqa-{week}.yaml"
    corpus = suites / "corpus" / week
    cases = _cases(suite)
    now = _week_date(cases)
    assistant = _index(week, corpus, cache)
    pool_k = ExtractiveAnswerer.pool_k
    out: list[Example] = []
    for case in cases:
        question = str(case["question"])
        answerable = bool(case.get("answerable", True))
        # A user asks about the indexed week on its own date, whatever week the question is from.
        as_of = str(case.get("as_of") or now) if answerable else now
        hits = assistant.retriever.retrieve(question, pool_k, Filters(as_of=as_of))
        pool = candidates(hits, assistant.source)
        q = analyse(question)
        rows = feature_rows(q, pool, as_of)
        groups = case.get("answer_any") or []
        labels = np.array(
            [answerable and matches_groups(c.text, groups) for c in pool.items], dtype=bool
        )
        out.append(Example(week, str(case["id"]), answerable, rows, labels))
    return out


def fit(rows: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Class-balanced L2 logistic regression by Newton's method on standardised features."""
    mean = rows.mean(axis=0)
    std = rows.std(axis=0)
    std[std < 1e-9] = 1.0
    x = np.hstack([(rows - mean) / std, np.ones((len(rows), 1))])
    y = labels.astype(float)
    pos = max(1.0, y.sum())
    neg = max(1.0, len(y) - y.sum())
    sw = np.where(y > 0, len(y) / (2 * pos), len(y) / (2 * neg))
    w = np.zeros(x.shape[1])
    reg = np.full(x.shape[1], L2)
    reg[-1] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-(x @ w)))
        grad = x.T @ (sw * (p - y)) + reg * w
        hess = (x * (sw * p * (1 - p))[:, None]).T @ x + np.diag(reg) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return mean, std, w[:-1], float(w[-1])


def _probs(rows: np.ndarray, model: tuple[np.ndarray, np.ndarray, np.ndarray, float]) -> np.ndarray:
    mean, std, coef, intercept = model
    if not len(rows):
        return np.zeros(0)
    return 1 / (1 + np.exp(-(((rows - mean) / std) @ coef + intercept)))


def _stack(examples: list[Example]) -> tuple[np.ndarray, np.ndarray]:
    with_rows = [e for e in examples if len(e.rows)]
    return (
        np.vstack([e.rows for e in with_rows]),
        np.concatenate([e.labels for e in with_rows]),
    )


def out_of_fold(examples: list[Example]) -> list[tuple[Example, np.ndarray]]:
    """Each week's probabilities from a model fitted on the other dev weeks."""
    scored = []
    for week in sorted({e.week for e in examples}):
        train = [e for e in examples if e.week != week]
        model = fit(*_stack(train))
        scored += [(e, _probs(e.rows, model)) for e in examples if e.week == week]
    return scored


def metrics(scored: list[tuple[Example, np.ndarray]], threshold: float) -> dict[str, float]:
    answered_right = refused_right = refused = should_refuse = answerable = 0
    for e, p in scored:
        top = float(p.max()) if len(p) else 0.0
        refuses = top < threshold
        refused += refuses
        should_refuse += not e.answerable
        refused_right += refuses and not e.answerable
        if e.answerable:
            answerable += 1
            answered_right += (not refuses) and bool(len(p)) and bool(e.labels[int(p.argmax())])
    return {
        "answerable_top_sentence_accuracy": answered_right / answerable if answerable else 0.0,
        "refusal_precision": refused_right / refused if refused else 1.0,
        "refusal_recall": refused_right / should_refuse if should_refuse else 1.0,
        "questions": float(len(scored)),
    }


def choose_threshold(scored: list[tuple[Example, np.ndarray]]) -> float:
    """The highest threshold whose refusals are ≥ TARGET_PRECISION right (best recall)."""
    tops = sorted({round(float(p.max()), 6) for _, p in scored if len(p)})
    best = 0.0
    for t in [0.0, *[v + 1e-6 for v in tops]]:
        m = metrics(scored, t)
        refusing = m["refusal_recall"] > 0
        if refusing and m["refusal_precision"] >= TARGET_PRECISION:
            best = t
    return best


def data_hash(suites: Path, weeks: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for week in weeks:
        digest.update((suites / f"realtimeqa-{week}.yaml").read_bytes())
        for path in sorted((suites / "corpus" / week).iterdir()):
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suites", type=Path, default=ROOT / "evals" / "realtimeqa")
    parser.add_argument("--cache", type=Path, default=ROOT / "bench" / "out" / "train")
    parser.add_argument("--out", type=Path, default=ROOT / "assistant/answer/scorer_weights.json")
    args = parser.parse_args(argv)
    examples: list[Example] = []
    for week in DEV_WEEKS:
        print(f"week {week}: retrieving and scoring…", file=sys.stderr)
        examples += collect(week, args.suites, args.cache)
    scored = out_of_fold(examples)
    threshold = choose_threshold(scored)
    dev = metrics(scored, threshold)
    mean, std, coef, intercept = fit(*_stack(examples))
    rows, labels = _stack(examples)
    result = {
        "features": list(FEATURES),
        "mean": [round(float(v), 6) for v in mean],
        "std": [round(float(v), 6) for v in std],
        "coef": [round(float(v), 6) for v in coef],
        "intercept": round(intercept, 6),
        "threshold": round(threshold, 6),
        "meta": {
            "model": "class-balanced L2 logistic regression (Newton), standardised features",
            "fitted_on": "RealTime QA dev weeks " + ", ".join(DEV_WEEKS),
            "report_weeks_never_used": "20230310, 20230512, 20230714, 20231006",
            "data_hash": data_hash(args.suites, DEV_WEEKS),
            "candidates": len(rows),
            "positives": int(labels.sum()),
            "threshold_rule": f"refusal precision >= {TARGET_PRECISION} at best recall, "
            "on leave-one-week-out probabilities",
            "dev_metrics_out_of_fold": {k: round(v, 4) for k, v in dev.items()},
        },
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result["meta"], indent=2))
    for name, c in sorted(zip(FEATURES, coef, strict=True), key=lambda x: -abs(x[1])):
        print(f"  {name:24s} {c:+.3f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
