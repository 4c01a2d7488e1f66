"""The answer scorer: the probability that a candidate sentence answers the question.

A logistic regression over features of (question, sentence in its passage), fitted on the
RealTime QA development weeks by ``make train`` (evals/train_scorer.py). Its weights, the
feature order, the split, the data hash, the refusal threshold and the dev metrics ship
beside this module as ``scorer_weights.json``; nothing here is tuned by hand.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from importlib import resources
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from assistant.answer.question import Question
from assistant.answer.sentence_pool import Candidate, Pool
from assistant.answer.span_scorer import SPAN_FEATURES
from assistant.answer.spans import answer_span, head_spans, lowercase_words, spans
from assistant.text.tokens import fold, term_set

if TYPE_CHECKING:
    import numpy as np

FEATURES = (
    "coverage",  # IDF-weighted share of the question's terms in the sentence
    "coverage_window",  # ...in the sentence and one either side
    "coverage_article",  # ...anywhere in the retrieved parts of its article
    "coverage_title",  # ...in the article's title
    "names_sentence",  # share of the question's names in the sentence
    "names_window",  # ...within two sentences
    "names_article",  # ...in the article
    "numbers_article",  # share of the question's numbers in the article
    "bigrams",  # share of the question's adjacent term pairs in the sentence
    "inverse_rank",  # 1 / the passage's retrieval rank
    "typed_span",  # a span of the asked-for kind (date for when, name for who…) is here
    "typed_question",  # the question asks for a short span
    "typed_missing",  # asks for a span, and this sentence has none
    "lead",  # 1 / (1 + the sentence's position in its article)
    "log_length",  # log of the sentence's length in terms
    "headline_like",  # short, no closing punctuation
    "missing_rare",  # IDF share of the rarest question term absent from the article
    "coverage_x_names",  # coverage × names_article
    "recent",  # asks about the present and the article is within 14 days of "now"
    "stale",  # asks about the present and the article is over a year older than "now"
    "undated_present",  # asks about the present and the article carries no date
    "novel_share",  # share of the sentence's terms the question does not have
    "new_span",  # a name, number or date the question does not mention is here
    "coverage_prev",  # coverage of the sentence before (an answer often follows its setup)
    "coverage_next",  # ...and of the sentence after
    "coverage_rest",  # coverage of the question's terms outside its names ("paid", "injured")
    "coverage_rest_window",  # ...in the sentence and one either side
    "numbers_window",  # share of the question's numbers ("2014") within one sentence
    "similarity",  # the passage's dense cosine to the question (unknown: the fitted mean)
    "head_sentence",  # the noun a "which X" question names (state, company) is in the sentence
    "head_span",  # ...bound to a new span: "the state of Ohio", "Acme, the company"
)


# The answerability gate reads the question's best candidates as a whole.
GATE_FEATURES = (
    "best",  # the best sentence's probability
    "second",  # the second best's
    "top3_mean",  # the mean of the best three
    "coverage",  # the best coverage of any sentence
    "coverage_article",  # the best coverage of any retrieved article
    "names_article",  # the best share of the question's names in one article
    "names_window",  # ...within two sentences of each other
    "numbers_article",  # the best share of its numbers in one article
    "missing_rare",  # the least the rarest missing term weighs in any article
    "rest_top",  # coverage of the terms outside the names around the best sentence
    "rest_best",  # ...the most of any of the three best sentences
    "numbers_top",  # share of the question's numbers around the best sentence
    "similarity_best",  # the highest dense cosine of any passage to the question
    "similarity_top",  # ...of the best sentence's passage
)


@dataclass(frozen=True)
class Linear:
    mean: list[float]
    std: list[float]
    coef: list[float]
    intercept: float

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        """The probability of each row."""
        import numpy as np

        if not len(rows):
            return np.zeros(0)
        return 1.0 / (1.0 + np.exp(-self.logit(rows)))

    def logit(self, rows: np.ndarray) -> np.ndarray:
        import numpy as np

        z = (rows - np.asarray(self.mean)) / np.asarray(self.std)
        z = np.nan_to_num(z, nan=0.0)  # a feature the retriever cannot give: its mean
        return np.asarray(z @ np.asarray(self.coef) + self.intercept)

    def shares(self, rows: np.ndarray) -> np.ndarray:
        """Each row's share of the rows' belief (a softmax over them): a listwise model's
        probability that this row, of all of them, is the one."""
        import numpy as np

        if not len(rows):
            return np.zeros(0)
        z = self.logit(rows)
        e = np.exp(z - z.max())
        return np.asarray(e / e.sum())

    @classmethod
    def load(cls, data: dict[str, Any]) -> Linear:
        return cls(data["mean"], data["std"], data["coef"], float(data["intercept"]))


@dataclass(frozen=True)
class Weights:
    sentence: Linear
    gate: Linear
    threshold: float  # refuse when the gate's probability is below it
    meta: dict[str, Any]
    span: Linear | None = None  # scores a quote's candidate short answers (span_scorer.py)
    span_threshold: float = 0.0  # the best span leads the answer only from this probability

    @classmethod
    def load(cls, data: dict[str, Any]) -> Weights:
        if list(data["features"]) != list(FEATURES) or list(
            data["gate"]["features"]
        ) != list(GATE_FEATURES):
            raise ValueError("scorer weights were fitted on other features: run `make train`")
        span = data.get("span")
        if span is not None and list(span["features"]) != list(SPAN_FEATURES):
            raise ValueError("span weights were fitted on other features: run `make train`")
        return cls(
            Linear.load(data["sentence"]),
            Linear.load(data["gate"]),
            float(data["threshold"]),
            dict(data.get("meta", {})),
            Linear.load(span) if span is not None else None,
            float(data.get("span_threshold", 0.0)),
        )


@lru_cache(maxsize=1)
def packaged_weights() -> Weights:
    text = resources.files(__package__).joinpath("scorer_weights.json").read_text("utf-8")
    return Weights.load(json.loads(text))


def _weights_for(q_terms: list[str], pool: Pool) -> dict[str, float]:
    """IDF over the candidate sentences; a term no candidate has weighs as the rarest."""
    df = Counter(t for c in pool.items for t in c.terms if t in q_terms)
    n = max(1, len(pool.items))
    return {t: math.log(1 + (n + 1) / (df.get(t, 0) + 0.5)) for t in q_terms}


def _share(weight: dict[str, float], present: set[str]) -> float:
    total = sum(weight.values())
    return sum(w for t, w in weight.items() if t in present) / total if total else 0.0


def _name_share(names: list[set[str]], present: set[str]) -> float:
    if not names:
        return 1.0
    return sum(1 for n in names if n and n <= present) / len(names)


def _days(a: str, b: str) -> int | None:
    try:
        return abs((date.fromisoformat(a[:10]) - date.fromisoformat(b[:10])).days)
    except ValueError:
        return None


def ground(question: Question, pool: Pool) -> Question:
    """``question`` without the names that are only a sentence's capitalised first word
    ("Newly" in "Newly released figures show…"): an opening word stays a name when an
    article found writes it capitalised inside a sentence ("shares of Tesla fell")."""
    if not question.openers:
        return question
    keep = {
        n for n in question.openers
        if any(re.search(rf"(?<=[a-z0-9,;’'”)] ){re.escape(n)}\b", t) for t in pool.texts.values())
    }
    drop = set(question.openers) - keep
    return replace(question, names=[n for n in question.names if n not in drop], openers=[])


def feature_rows(question: Question, pool: Pool, as_of: str = "") -> np.ndarray:
    """One row of FEATURES per candidate of ``pool``, in order."""
    import numpy as np

    question = ground(question, pool)
    q_terms = list(question.terms)
    weight = _weights_for(q_terms, pool)
    names = [term_set(n) for n in question.names]
    numbers = [fold(n) for n in question.numbers]
    number_terms = [term_set(n) for n in question.numbers]
    bigrams = list(pairwise(q_terms))
    total = sum(weight.values()) or 1.0
    named = {t for n in names for t in n}
    rest = {t: w for t, w in weight.items() if t not in named}
    asked = set(q_terms) | named
    rows = np.zeros((len(pool.items), len(FEATURES)), dtype=np.float64)
    article_cache: dict[str, tuple[float, float, float, float, float]] = {}
    common: dict[str, frozenset[str]] = {}  # words each article writes in lowercase
    for i, c in enumerate(pool.items):
        if c.article_id not in article_cache:
            terms = pool.article_terms(c.article_id)
            text = fold(pool.texts[c.article_id]) if numbers else ""
            missing = [weight[t] for t in q_terms if t not in terms]
            article_cache[c.article_id] = (
                _share(weight, terms),
                _share(weight, term_set(c.hit.chunk.title)),
                _name_share(names, terms),
                sum(1 for n in numbers if n in text) / len(numbers) if numbers else 1.0,
                max(missing, default=0.0) / total,
            )
        cov_article, cov_title, names_article, numbers_article, missing_rare = (
            article_cache[c.article_id]
        )
        window = pool.window(c, 1)
        coverage = _share(weight, c.terms)
        if question.typed and c.article_id not in common:
            common[c.article_id] = lowercase_words(pool.texts[c.article_id])
        has_span = question.typed and (
            answer_span(question, c.text, common[c.article_id]) is not None
        )
        novel = len(c.terms - asked) / len(c.terms) if c.terms else 0.0
        new = any(
            not term_set(c.text[s.start : s.end]) <= asked for s in spans(c.text)
        )
        head_seen = bool(question.head) and question.head in c.terms
        head_new = head_seen and any(
            not term_set(c.text[s.start : s.end]) - {question.head} <= asked
            for s in head_spans(c.text, question.head)
        )
        days = _days(c.hit.chunk.published, as_of) if as_of and c.hit.chunk.published else None
        rows[i] = (
            coverage,
            _share(weight, window),
            cov_article,
            cov_title,
            _name_share(names, c.terms),
            _name_share(names, pool.window(c, 2)),
            names_article,
            numbers_article,
            sum(1 for a, b in bigrams if a in c.terms and b in c.terms) / len(bigrams)
            if bigrams else 0.0,
            1.0 / c.hit.rank,
            float(has_span),
            float(question.typed),
            float(question.typed and not has_span),
            1.0 / (1 + c.index),
            math.log1p(len(c.terms)),
            float(len(c.text) < 120 and c.text.rstrip()[-1:] not in ".!?\"”’"),
            missing_rare,
            coverage * names_article,
            float(question.present and days is not None and days <= 14),
            float(question.present and days is not None and days > 365),
            float(question.present and as_of != "" and not c.hit.chunk.published),
            novel,
            float(new),
            _share(weight, pool.neighbour(c, -1)),
            _share(weight, pool.neighbour(c, 1)),
            _share(rest, c.terms) if rest else 1.0,
            _share(rest, window) if rest else 1.0,
            _name_share(number_terms, window),
            math.nan if c.hit.similarity is None else c.hit.similarity,
            float(head_seen),
            float(head_new),
        )
    return rows


def gate_row(rows: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """GATE_FEATURES of one question from its candidates' feature rows and probabilities."""
    import numpy as np

    if not len(rows):
        return np.zeros(len(GATE_FEATURES))
    col = {name: rows[:, i] for i, name in enumerate(FEATURES)}
    ranked = np.sort(probs)[::-1]
    order = np.argsort(-probs)
    similar = col["similarity"]
    known = similar[~np.isnan(similar)]
    return np.array([
        ranked[0],
        ranked[1] if len(ranked) > 1 else 0.0,
        float(ranked[:3].mean()),
        float(col["coverage"].max()),
        float(col["coverage_article"].max()),
        float(col["names_article"].max()),
        float(col["names_window"].max()),
        float(col["numbers_article"].max()),
        float(col["missing_rare"].min()),
        float(col["coverage_rest_window"][order[0]]),
        float(col["coverage_rest_window"][order[:3]].max()),
        float(col["numbers_window"][order[0]]),
        float(known.max()) if len(known) else math.nan,
        float(similar[order[0]]),
    ])


def score(question: Question, pool: Pool, weights: Weights, as_of: str = "") -> float:
    """Set each candidate's ``score`` to its probability of answering the question; return
    the probability that the candidates answer it at all (the gate's)."""
    rows = feature_rows(question, pool, as_of)
    probs = weights.sentence(rows)
    for c, p in zip(pool.items, probs, strict=True):
        c.score = float(p)
    if not len(rows):
        return 0.0
    return float(weights.gate(gate_row(rows, probs)[None, :])[0])


def best(pool: Pool) -> Candidate | None:
    return max(pool.items, key=lambda c: (c.score, -c.hit.rank, -c.start), default=None)
