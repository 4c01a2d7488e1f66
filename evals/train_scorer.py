"""Fit the answer scorer on the RealTime QA development weeks (`make train`).

For each dev week: ingest its corpus into a cached index (once), retrieve the answerer's pool
for every question of the week's suite, turn each candidate sentence into the scorer's
features, and label it by whether it holds the gold answer. A class-balanced L2 logistic
regression is fitted on all dev weeks for sentences; a second one, the answerability gate,
learns from the suite's questions and from held-out refusals (each answerable question asked
again of what retrieval finds without its gold articles: same topic, answer absent). The
refusal threshold is chosen on leave-one-week-out probabilities of the suite's questions, for
refusal precision ≥ 0.9 at the best refusal recall. The answerer itself is then run on each
dev week with scorers fitted on the other weeks (the eval report's numbers, out of fold).
Weights, split, data hash, threshold and the out-of-fold dev metrics go to
assistant/answer/scorer_weights.json. Nothing from evals/seeds.yaml, evals/ood or the report
weeks is read.

    python -m evals.train_scorer [--suites DIR] [--cache DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from assistant.answer.fitted import FittedAnswerer, quotes
from assistant.answer.question import analyse
from assistant.answer.scorer import (
    FEATURES,
    GATE_FEATURES,
    Linear,
    Weights,
    best,
    feature_rows,
    gate_row,
    ground,
    score,
)
from assistant.answer.sentence_pool import candidates
from assistant.answer.span_scorer import (
    SPAN_FEATURES,
    SpanCandidate,
    pick_span,
    span_candidates,
    span_rows,
)
from assistant.types import Filters
from evals.matching import matches_groups

ROOT = Path(__file__).resolve().parent.parent
DEV_WEEKS = ("20220715", "20220916", "20221111", "20230106")
TARGET_PRECISION = 0.9
MIN_RECALL = 0.25
# Hard refusals for the gate: each answerable dev question is asked again of the passages
# retrieval finds once its gold articles (and any passage holding the gold) are gone — the
# topic is still in the archive, the answer is not. 0 turns them off.
HELD_OUT_K = 40
# Hand-written direct questions on the dev weeks' articles (not quiz questions), fitted on too.
DIRECT_SUITE = "direct-dev.yaml"
L2 = 1.0


@dataclass
class Example:
    week: str
    case_id: str
    answerable: bool
    rows: np.ndarray
    labels: np.ndarray  # per candidate: holds the gold answer
    held_out: bool = False  # an answerable question asked of its pool without the gold
    case: dict[str, Any] | None = None
    hits: Any = None  # the pool's passages, for the end-to-end check
    source: Any = None
    as_of: str = ""


def _cases(suite: Path) -> list[dict[str, Any]]:
    return list(yaml.safe_load(suite.read_text(encoding="utf-8")) or [])


def direct_cases(suites: Path, week: str) -> list[dict[str, Any]]:
    """The hand-written direct questions (``direct-dev.yaml``) about ``week``'s articles."""
    path = suites / DIRECT_SUITE
    if not path.is_file():
        return []
    return [c for c in _cases(path) if str(c["id"]).startswith(f"direct-{week}-")]


def _week_date(cases: list[dict[str, Any]]) -> str:
    dates = sorted(str(c["as_of"]) for c in cases if c.get("answerable", True) and c.get("as_of"))
    return dates[-1] if dates else ""


def _index(week: str, corpus: Path, cache: Path) -> Any:
    """The week's index (ingested from its corpus on first use, then reused)."""
    from assistant.retrieval.bootstrap import ensure_index
    from assistant.settings import load_settings

    return ensure_index(load_settings(data_dir=cache / week, seeds_dir=corpus))


def collect(week: str, suites: Path, cache: Path, held_out_k: int = HELD_OUT_K) -> list[Example]:
    """The week's examples. What retrieval found is cached per suite (it is the slow part);
    features are computed afresh, so a change to them needs no new retrieval."""
    suite = suites / f"realtimeqa-{week}.yaml"
    cases = _cases(suite)
    now = _week_date(cases)
    cases += direct_cases(suites, week)
    key = hashlib.sha256(yaml.safe_dump(cases).encode()).hexdigest()[:12]
    # v2: hits carry their dense similarity
    saved = cache / f"{week}-hits-v2-{key}-{FittedAnswerer.pool_k}-{HELD_OUT_K}.pkl"
    index = _index(week, suites / "corpus" / week, cache)
    if saved.exists():
        found = pickle.loads(saved.read_bytes())
    else:
        found = {}
        for case in cases:
            as_of = _as_of(case, now)
            question = str(case["question"])
            filters = Filters(as_of=as_of)
            found[str(case["id"])] = (
                index.retriever.retrieve(question, FittedAnswerer.pool_k, filters),
                index.retriever.retrieve(question, HELD_OUT_K, filters),
            )
        saved.write_bytes(pickle.dumps(found))
    out: list[Example] = []
    for case in cases:
        answerable = bool(case.get("answerable", True))
        hits, wider = found[str(case["id"])]
        out.append(_example(week, case, hits, index.source, now))
        if answerable and held_out_k:
            rest = without_gold(wider, case)[: FittedAnswerer.pool_k]
            held = _example(week, case, rest, index.source, now)
            held.answerable, held.held_out = False, True
            held.labels[:] = False
            out.append(held)
    return out


def without_gold(hits: Any, case: dict[str, Any]) -> list[Any]:
    """``hits`` minus the case's gold articles and any passage that holds its gold text."""
    gold = set(case.get("sources") or [])
    groups = case.get("answer_any") or []
    return [
        h for h in hits
        if h.chunk.article_id not in gold and not matches_groups(h.chunk.text, groups)
    ]


def _example(week: str, case: dict[str, Any], hits: Any, source: Any, now: str) -> Example:
    """One question's candidates, their feature rows and their labels."""
    answerable = bool(case.get("answerable", True))
    pool = candidates(hits, source)
    rows = feature_rows(analyse(str(case["question"])), pool, _as_of(case, now))
    groups = case.get("answer_any") or []
    # A sentence answers when it holds the gold and shares a word with the question
    # nearby: "euro" in a list of currencies does not say the dollar is at par with it.
    near = rows[:, FEATURES.index("coverage_window")] > 0 if len(rows) else np.zeros(0)
    labels = np.array(
        [answerable and matches_groups(c.text, groups) for c in pool.items], dtype=bool
    ) & near.astype(bool)
    example = Example(week, str(case["id"]), answerable, rows, labels)
    example.case, example.hits, example.source = case, hits, source
    example.as_of = _as_of(case, now)
    return example


def _as_of(case: dict[str, Any], now: str) -> str:
    """A user asks about the indexed week on its own date, whatever week a question is from."""
    if case.get("answerable", True):
        return str(case.get("as_of") or now)
    return now


Model = tuple[np.ndarray, np.ndarray, np.ndarray, float]


def fit(rows: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None) -> Model:
    """Class-balanced L2 logistic regression by Newton's method on standardised features;
    ``weights`` (per row) scale each row's say within its class."""
    mean = np.nan_to_num(np.nanmean(rows, axis=0)) if len(rows) else np.zeros(rows.shape[1])
    std = np.nan_to_num(np.nanstd(rows, axis=0)) if len(rows) else np.ones(rows.shape[1])
    std[std < 1e-9] = 1.0
    x = np.hstack([np.nan_to_num((rows - mean) / std), np.ones((len(rows), 1))])
    y = labels.astype(float)
    pos = max(1.0, y.sum())
    neg = max(1.0, len(y) - y.sum())
    if weights is not None:
        pos = max(1e-9, float(weights[y > 0].sum()))
        neg = max(1e-9, float(weights[y == 0].sum()))
    base = np.ones(len(y)) if weights is None else weights
    sw = base * np.where(y > 0, len(y) / (2 * pos), len(y) / (2 * neg))
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


def _probs(rows: np.ndarray, model: Model) -> np.ndarray:
    return _linear(model)(rows)


def _stack(examples: list[Example]) -> tuple[np.ndarray, np.ndarray]:
    with_rows = [e for e in examples if len(e.rows)]
    return (
        np.vstack([e.rows for e in with_rows]),
        np.concatenate([e.labels for e in with_rows]),
    )


def _per_question(examples: list[Example]) -> np.ndarray:
    """Each question's positives, and its negatives, weigh one question in all: a gold
    string found in sixty sentences must not outvote a question with one."""
    parts = []
    for e in (e for e in examples if len(e.rows)):
        pos, neg = max(1, int(e.labels.sum())), max(1, int((~e.labels).sum()))
        parts.append(np.where(e.labels, 1.0 / pos, 1.0 / neg))
    return np.concatenate(parts)


@dataclass
class Fitted:
    sentence: Model
    gate: Model


def fit_both(examples: list[Example]) -> Fitted:
    """The sentence model, then the gate on each question's best candidates under it."""
    asked = [e for e in examples if not e.held_out]
    sentence = fit(*_stack(asked), _per_question(asked))
    rows = np.vstack([gate_row(e.rows, _probs(e.rows, sentence)) for e in examples])
    labels = np.array([e.answerable for e in examples])
    return Fitted(sentence, fit(rows, labels))


@dataclass
class Scored:
    example: Example
    probs: np.ndarray  # per candidate
    answerable: float  # the gate's probability


def apply(fitted: Fitted, examples: list[Example]) -> list[Scored]:
    out = []
    for e in examples:
        probs = _probs(e.rows, fitted.sentence)
        gate = 0.0
        if len(probs):
            gate = float(_probs(gate_row(e.rows, probs)[None, :], fitted.gate)[0])
        out.append(Scored(e, probs, gate))
    return out


def out_of_fold(examples: list[Example]) -> list[Scored]:
    """Each week scored by models fitted on the other dev weeks."""
    scored: list[Scored] = []
    for week in sorted({e.week for e in examples}):
        fitted = fit_both([e for e in examples if e.week != week])
        scored += apply(fitted, [e for e in examples if e.week == week])
    return scored


def metrics(scored: list[Scored], threshold: float) -> dict[str, float]:
    right = first = refused_right = refused = should_refuse = answerable = 0
    for s in scored:
        e = s.example
        refuses = s.answerable < threshold
        refused += refuses
        should_refuse += not e.answerable
        refused_right += refuses and not e.answerable
        if e.answerable:
            answerable += 1
            top3: list[int] = [int(i) for i in np.argsort(-s.probs)[:3]]
            right += (not refuses) and any(bool(e.labels[i]) for i in top3)
            first += (not refuses) and bool(top3) and bool(e.labels[top3[0]])
    return {
        "answerable_gold_in_top3_quotes": right / answerable if answerable else 0.0,
        "answerable_gold_in_best_quote": first / answerable if answerable else 0.0,
        "refusal_precision": refused_right / refused if refused else 1.0,
        "refusal_recall": refused_right / should_refuse if should_refuse else 1.0,
        "questions": float(len(scored)),
    }


def choose_threshold(scored: list[Scored]) -> tuple[float, str]:
    """The highest threshold whose refusals are ≥ TARGET_PRECISION right (best recall) — or,
    when no threshold reaches that while refusing at least MIN_RECALL of what should be
    refused, the threshold of the best refusal F1. Returns it with the rule that chose it."""
    best, best_f1, f1_at = -1.0, -1.0, 0.5
    for t in sorted({round(s.answerable, 6) + 1e-6 for s in scored}):
        m = metrics(scored, t)
        p, r = m["refusal_precision"], m["refusal_recall"]
        if r >= MIN_RECALL and p >= TARGET_PRECISION:
            best = t
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        if f1 > best_f1:
            best_f1, f1_at = f1, t
    if best >= 0:
        return best, f"refusal precision >= {TARGET_PRECISION} at best recall"
    return f1_at, (
        f"no threshold reached refusal precision {TARGET_PRECISION} with recall >= "
        f"{MIN_RECALL}; best refusal F1 instead"
    )


def _weights(fitted: Fitted, threshold: float) -> Weights:
    return Weights(_linear(fitted.sentence), _linear(fitted.gate), threshold, {})


@dataclass
class SpanExample:
    """One answered-or-not typed dev question's candidate short answers under out-of-fold
    sentence scores: their feature rows, which hold the gold, and whether the rule's is."""

    week: str
    answered: bool
    rows: np.ndarray
    labels: np.ndarray
    rule_right: bool


def span_examples(examples: list[Example], threshold: float) -> list[SpanExample]:
    """The candidate spans of the quotes the answerer would choose for each answerable dev
    question that asks for a span, each week's quotes chosen by scorers fitted on the other
    weeks (so the span model learns from quotes like those it will see)."""
    out: list[SpanExample] = []
    for week in sorted({e.week for e in examples}):
        weights = _weights(fit_both([e for e in examples if e.week != week]), threshold)
        limit = FittedAnswerer(weights=weights).max_quotes
        for e in examples:
            if e.week != week or e.held_out or not e.answerable or e.case is None:
                continue
            pool = candidates(e.hits, e.source)
            q = ground(analyse(str(e.case["question"])), pool)
            if not q.typed:
                continue
            gate = score(q, pool, weights, e.as_of)
            top = best(pool)
            if top is None:
                continue
            chosen = quotes(top, pool, limit)
            found = span_candidates(q, chosen, pool)
            groups = e.case.get("answer_any") or []
            out.append(SpanExample(
                week, gate >= threshold, span_rows(q, chosen, pool, found),
                np.array([_span_right(chosen, f, groups) for f in found], dtype=bool),
                _span_right(chosen, pick_span(q, chosen, pool, None, 0.0), groups),
            ))
    return out


def _span_right(chosen: list[Any], f: SpanCandidate | None, groups: list[Any]) -> bool:
    if f is None:
        return False
    return matches_groups(chosen[f.quote].text[f.span.start : f.span.end], groups)


def fit_listwise(parts: list[SpanExample]) -> Model:
    """A linear score whose softmax over each question's candidates puts its mass on the
    ones holding the gold (L2, standardised features), by Newton steps on a bound of the
    curvature with a backtracking line search. Questions with no right or only right
    candidates teach nothing and are left out."""
    groups = [(e.rows, e.labels) for e in parts if len(e.rows) and e.labels.any()]
    groups = [(r, y) for r, y in groups if not y.all()]
    rows = np.vstack([r for r, _ in groups])
    mean, std = rows.mean(axis=0), rows.std(axis=0)
    std[std < 1e-9] = 1.0
    xs = [((r - mean) / std, y) for r, y in groups]
    dim = rows.shape[1]

    def loss(w: np.ndarray) -> float:
        total = 0.5 * L2 * float(w @ w)
        for x, y in xs:
            s = x @ w
            total += _logsumexp(s) - _logsumexp(s[y])
        return total

    w = np.zeros(dim)
    for _ in range(100):
        grad, hess = L2 * w, L2 * np.eye(dim)
        for x, y in xs:
            s = x @ w
            p = np.exp(s - _logsumexp(s))
            q = np.exp(s[y] - _logsumexp(s[y]))
            mp = p @ x
            grad += mp - q @ x[y]
            hess += (x * p[:, None]).T @ x - np.outer(mp, mp)
        step = np.linalg.solve(hess, grad)
        now, t = loss(w), 1.0
        while t > 1e-4 and loss(w - t * step) > now:
            t /= 2
        w -= t * step
        if np.abs(t * step).max() < 1e-7:
            break
    return mean, std, w, 0.0


def _logsumexp(s: np.ndarray) -> float:
    top = float(s.max())
    return top + float(np.log(np.exp(s - top).sum()))


def span_out_of_fold(parts: list[SpanExample]) -> list[tuple[float, bool, SpanExample]]:
    """Each answered question's best span under a span model fitted on the other weeks:
    its share of the model's belief and whether it holds the gold."""
    out = []
    for week in sorted({e.week for e in parts}):
        model = _linear(fit_listwise([e for e in parts if e.week != week]))
        for e in parts:
            if e.week != week or not e.answered:
                continue
            if not len(e.rows):
                out.append((0.0, False, e))
                continue
            shares = model.shares(e.rows)
            i = int(np.argmax(shares))
            out.append((float(shares[i]), bool(e.labels[i]), e))
    return out


def choose_span_threshold(picks: list[tuple[float, bool, SpanExample]]) -> float:
    """The share from which a short answer leads: where the spans shown are right more
    often than wrong by the most (right minus wrong; the lowest such share)."""
    best_t, best_net = 1.0 + 1e-6, 0
    for t in sorted({round(p, 6) for p, _, _ in picks}):
        shown = [right for p, right, _ in picks if p >= t]
        net = sum(shown) - (len(shown) - sum(shown))
        if net > best_net:
            best_t, best_net = t, net
    return best_t


def span_metrics(picks: list[tuple[float, bool, SpanExample]], t: float) -> dict[str, float]:
    shown = [right for p, right, _ in picks if p >= t]
    return {
        "questions": float(len(picks)),
        "rule_span_right": float(sum(e.rule_right for _, _, e in picks)),
        "fitted_best_span_right": float(sum(right for _, right, _ in picks)),
        "any_candidate_right": float(sum(bool(e.labels.any()) for _, _, e in picks)),
        "shown": float(len(shown)),
        "shown_right": float(sum(shown)),
    }


def _linear(model: Model) -> Linear:
    mean, std, coef, intercept = model
    return Linear(list(mean), list(std), list(coef), intercept)


def end_to_end(examples: list[Example], threshold: float) -> dict[str, dict[str, float]]:
    """The answerer itself on each dev week's suite questions, with scorers fitted on the
    other weeks: what the eval report would say (answer holds the gold, refusals, gold
    article among the evidence), for all questions and for quiz and direct ones apart."""
    outcomes: list[tuple[str, bool, bool, bool, bool]] = []  # kind, answerable, refused, ...
    for week in sorted({e.week for e in examples}):
        weights = _weights(fit_both([e for e in examples if e.week != week]), threshold)
        answerer = FittedAnswerer(weights=weights)
        for e in examples:
            if e.week != week or e.held_out or e.case is None:
                continue
            answer = answerer.answer(str(e.case["question"]), e.hits, e.source, e.as_of)
            text = "\n".join([answer.text, *(c.quote for c in answer.citations)])
            right = matches_groups(text, e.case.get("answer_any") or [])
            evidence = answer.evidence or list(e.hits)[: answerer.k]
            gold = set(e.case.get("sources") or [])
            found = any(h.chunk.article_id in gold for h in evidence[: answerer.k])
            kind = "direct" if e.case_id.startswith("direct-") else "quiz"
            outcomes.append((kind, e.answerable, answer.refused, right, found))
    out = {}
    for kind in ("all", "quiz", "direct"):
        rows = [o for o in outcomes if kind in ("all", o[0])]
        answerable = [o for o in rows if o[1]]
        refused = [o for o in rows if o[2]]
        should = [o for o in rows if not o[1]]
        if not rows:
            continue
        out[kind] = {
            "questions": float(len(rows)),
            "answerable_accuracy": _ratio(sum(not o[2] and o[3] for o in answerable), answerable),
            "refusal_precision": _ratio(sum(not o[1] for o in refused), refused, 1.0),
            "refusal_recall": _ratio(sum(o[2] for o in should), should, 1.0),
            "gold_article_in_evidence": _ratio(sum(o[4] for o in answerable), answerable),
        }
    return out


def _ratio(n: int, of: list[Any], empty: float = 0.0) -> float:
    return n / len(of) if of else empty


def data_hash(suites: Path, weeks: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for week in weeks:
        digest.update((suites / f"realtimeqa-{week}.yaml").read_bytes())
        direct = direct_cases(suites, week)
        if direct:
            digest.update(yaml.safe_dump(direct).encode())
        for path in sorted((suites / "corpus" / week).iterdir()):
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suites", type=Path, default=ROOT / "evals" / "realtimeqa")
    parser.add_argument("--cache", type=Path, default=ROOT / "bench" / "out" / "train")
    parser.add_argument("--out", type=Path, default=ROOT / "assistant/answer/scorer_weights.json")
    parser.add_argument("--weeks", default=",".join(DEV_WEEKS), help="dev weeks to fit on")
    parser.add_argument(
        "--held-out-k", type=int, default=HELD_OUT_K,
        help="passages to draw the gate's held-out refusals from (0: none)",
    )
    args = parser.parse_args(argv)
    weeks = tuple(w for w in args.weeks.split(",") if w)
    if set(weeks) - set(DEV_WEEKS):
        parser.error("fit only on dev weeks: " + ", ".join(DEV_WEEKS))
    examples: list[Example] = []
    for week in weeks:
        print(f"week {week}: retrieving and scoring…", file=sys.stderr)
        examples += collect(week, args.suites, args.cache, args.held_out_k)
    scored = out_of_fold(examples) if len(weeks) > 1 else apply(fit_both(examples), examples)
    # The threshold is chosen on the suites' own questions (their real mix of refusals); the
    # held-out refusals teach the gate, and how many of them it refuses is reported.
    suite_scored = [s for s in scored if not s.example.held_out]
    threshold, rule = choose_threshold(suite_scored)
    dev = metrics(suite_scored, threshold)
    held = [s for s in scored if s.example.held_out]
    e2e = end_to_end(examples, threshold) if len(weeks) > 1 else {}
    fitted = fit_both(examples)
    rows, labels = _stack(examples)
    spans_seen = span_examples(examples, threshold) if len(weeks) > 1 else []
    span_picks = span_out_of_fold(spans_seen) if spans_seen else []
    span_threshold = choose_span_threshold(span_picks) if span_picks else 0.0
    span_model = fit_listwise(spans_seen) if spans_seen else None

    def linear(model: Model, names: tuple[str, ...]) -> dict[str, Any]:
        mean, std, coef, intercept = model
        return {
            "features": list(names),
            "mean": [round(float(v), 6) for v in mean],
            "std": [round(float(v), 6) for v in std],
            "coef": [round(float(v), 6) for v in coef],
            "intercept": round(intercept, 6),
        }

    result = {
        "features": list(FEATURES),
        "sentence": linear(fitted.sentence, FEATURES),
        "gate": linear(fitted.gate, GATE_FEATURES),
        "threshold": round(threshold, 6),
        **({
            "span": linear(span_model, SPAN_FEATURES),
            "span_threshold": round(span_threshold, 6),
        } if span_model is not None else {}),
        "meta": {
            "model": "class-balanced L2 logistic regressions (Newton, standardised features): "
            "one scores sentences, a gate over each question's best candidates scores "
            "answerability",
            "fitted_on": "RealTime QA dev weeks " + ", ".join(weeks),
            "report_weeks_never_used": "20230310, 20230512, 20230714, 20231006",
            "data_hash": data_hash(args.suites, weeks),
            "questions": len(examples),
            "candidates": len(rows),
            "positives": int(labels.sum()),
            "threshold_rule": rule + ", on leave-one-week-out probabilities",
            "held_out_refusals": "each answerable dev question also asked without its gold "
            f"articles (top {args.held_out_k} minus those, first {FittedAnswerer.pool_k}) "
            "as a refusal for the gate" if args.held_out_k else "none",
            "dev_metrics_out_of_fold": {k: round(v, 4) for k, v in dev.items()},
            "dev_answerer_out_of_fold": {
                kind: {k: round(v, 4) for k, v in m.items()} for kind, m in e2e.items()
            },
            "span_model": "listwise logistic (softmax over each typed question's candidate "
            "spans in its quotes, quotes chosen out of fold); a span leads the answer from "
            "span_threshold, where shown spans are right more often than wrong by the most",
            "dev_spans_out_of_fold": span_metrics(span_picks, span_threshold)
            if span_picks else None,
            "dev_held_out_refusal_recall": round(metrics(held, threshold)["refusal_recall"], 4)
            if held else None,
        },
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result["meta"], indent=2))
    models = [(FEATURES, fitted.sentence), (GATE_FEATURES, fitted.gate)]
    if span_model is not None:
        models.append((SPAN_FEATURES, span_model))
    for names, model in models:
        for name, c in sorted(zip(names, model[2], strict=True), key=lambda x: -abs(x[1])):
            print(f"  {name:24s} {c:+.3f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
