"""The short answer: which span of the chosen quotes answers the question, and whether any
does well enough to lead the answer.

Every candidate span of the quotes (spans.candidate_spans: the asked-for kind, new to the
question) is scored by a listwise logistic model (a softmax over the question's candidates)
fitted on the RealTime QA development weeks by ``make train``; its weights ship in
``scorer_weights.json`` as ``span``. The best span leads the answer only when its share of
the model's belief reaches the fitted ``span_threshold``; otherwise the answer is its quotes.
Without fitted span weights the rule in ``spans.answer_span`` picks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.answer.question import Question
from assistant.answer.sentence_pool import Candidate, Pool
from assistant.answer.spans import (
    SpanMatch,
    answer_span,
    base_kind,
    candidate_spans,
    distance,
    head_spans,
    lowercase_words,
    opens,
    question_word_starts,
    rule_pick,
    sentence_of,
    wanted_kinds,
)
from assistant.text.tokens import term_set

if TYPE_CHECKING:
    import numpy as np

    from assistant.answer.scorer import Linear

SPAN_FEATURES = (
    "quote_rank",  # 1 / the quote's place among those chosen
    "quote_score",  # the quote's sentence probability
    "quote_share",  # ...as a share of the best quote's
    "second_kind",  # a kind the question asks for second ("where": a name, not a place)
    "person",  # a person-like name ("who")
    "near",  # log of the characters between the span and the question's nearest word
    "rule_pick",  # the rule (nearest of the first kind) would pick it
    "spans_here",  # log of how many candidate spans the quote has
    "order",  # 1 / (1 + its place among its quote's candidates)
    "words",  # log of its length in words
    "in_title",  # its words are all in the article's title
    "sentence_coverage",  # share of the question's terms in the span's own sentence
    "support",  # share of the other chosen quotes and top sentences that hold it too
    "head_bound",  # bound to the noun a "which X" question names ("the state of Ohio")
    "opener",  # one word opening its sentence ("Legendary musician…")
    "capitals",  # written in capitals only ("DES MOINES", "CNN")
    "amount",  # "how much" and it is money or a share ("$4.5 million", "12%")
)


@dataclass(frozen=True)
class SpanCandidate:
    quote: int  # index into the chosen quotes
    span: SpanMatch  # offsets into that quote's text


def span_candidates(q: Question, chosen: Sequence[Candidate], pool: Pool) -> list[SpanCandidate]:
    """The candidate spans of every chosen quote, best quote first."""
    out: list[SpanCandidate] = []
    for n, c in enumerate(chosen):
        common = lowercase_words(pool.texts.get(c.article_id, c.text))
        out += [SpanCandidate(n, s) for s in candidate_spans(q, c.text, common)]
    return out


def span_rows(
    q: Question, chosen: Sequence[Candidate], pool: Pool, found: Sequence[SpanCandidate]
) -> np.ndarray:
    """One row of SPAN_FEATURES per candidate span, in order."""
    import numpy as np

    rows = np.zeros((len(found), len(SPAN_FEATURES)), dtype=np.float64)
    if not found:
        return rows
    asked = set(q.terms) | term_set(" ".join(q.names))
    top = max(chosen[0].score, 1e-9)
    others = sorted(pool.items, key=lambda c: -c.score)[:10]
    per_quote: dict[int, list[SpanMatch]] = {}
    for f in found:
        per_quote.setdefault(f.quote, []).append(f.span)
    picks = {n: rule_pick(q, chosen[n].text, spans) for n, spans in per_quote.items()}
    anchors = {n: question_word_starts(q, chosen[n].text) for n in per_quote}
    wanted = wanted_kinds(q)
    for i, f in enumerate(found):
        c = chosen[f.quote]
        s = f.span
        text = c.text[s.start : s.end]
        words = term_set(text)
        near = distance(anchors[f.quote], s)
        own = sentence_of(c.text, s)
        own_terms = term_set(own[1])
        holders = [o for o in list(chosen) + others if o is not c]
        support = sum(1 for o in holders if text in o.text) / len(holders) if holders else 0.0
        heads = head_spans(own[1], q.head) if q.head else ()
        opener = " " not in text and opens(own[1], s.start - own[0])
        rows[i] = (
            1.0 / (1 + f.quote),
            c.score,
            c.score / top,
            float(wanted.index(base_kind(s)) > 0) if base_kind(s) in wanted else 1.0,
            float(s.kind == "person"),
            math.log1p(near),
            float(picks.get(f.quote) == s),
            math.log1p(len(per_quote[f.quote])),
            1.0 / (1 + per_quote[f.quote].index(s)),
            math.log1p(len(text.split())),
            float(bool(words) and words <= term_set(c.hit.chunk.title)),
            len(own_terms & asked) / len(asked) if asked else 0.0,
            support,
            float(any(h.start + own[0] == s.start and h.end + own[0] == s.end for h in heads)),
            float(opener),
            float(text.isupper() and len(text) > 1),
            float(q.kind == "how_much" and bool(_AMOUNT.search(text))),
        )
    return rows


_AMOUNT = re.compile(r"[$€£¥%]|\b(?:percent|per cent|dollars?|euros?|pounds)\b", re.IGNORECASE)


def pick_span(
    q: Question,
    chosen: Sequence[Candidate],
    pool: Pool,
    model: Linear | None,
    threshold: float,
) -> SpanCandidate | None:
    """The span that leads the answer: the fitted model's best when it reaches
    ``threshold``, none below it; with no model, the rule's pick in the best quote (in
    a later one only for "which")."""
    if model is None:
        for n, c in enumerate(chosen):
            m = answer_span(q, c.text, lowercase_words(pool.texts.get(c.article_id, c.text)))
            if m is not None:
                return SpanCandidate(n, m)
            if q.kind != "which":
                break  # a span from a weaker quote would contradict the best one
        return None
    found = span_candidates(q, chosen, pool)
    if not found:
        return None
    probs = model.shares(span_rows(q, chosen, pool, found))
    best = max(range(len(found)), key=lambda i: (probs[i], -found[i].quote, -found[i].span.start))
    return found[best] if probs[best] >= threshold else None
