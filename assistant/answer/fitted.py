"""The fitted answerer (backend ``fitted``): no model, deterministic, offline.

Every sentence of the retrieved passages is scored by the fitted answer scorer (scorer.py):
the probability that it answers the question. Below the calibrated threshold the answer is
a refusal with a plain reason; above it the best sentences are quoted verbatim at their
offsets, the passages re-ranked by their best sentence, and a who/when/where/how-many/which
question is answered first with the span inside the best quote ("Xi'an [1]").
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace

from assistant.answer.base import near_duplicate, quote_citation, quoted_text, refusal
from assistant.answer.events import Event, replay
from assistant.answer.question import Question, analyse, question_phrase
from assistant.answer.scorer import Weights, best, ground, packaged_weights, score
from assistant.answer.sentence_pool import Candidate, Pool, candidates
from assistant.answer.span_scorer import pick_span
from assistant.retrieval.base import ArticleSource
from assistant.settings import Settings
from assistant.text.tokens import term_set
from assistant.types import Answer, Citation, Hit, Span, Turn

ADJACENT = 0.8  # a neighbour of the best sentence rated this close joins its quote
SECOND_QUOTE = 0.75  # another quote must reach this share of the best one's probability
_ARTICLE_DATE_QUESTION = re.compile(
    r"\b(?:when|what date|which date|what day)\b.*\b(?:article|story|report|piece|readout|"
    r"editorial|op-ed|column|it|this)\b.*\b(?:published|updated|posted|dated|written)\b",
    re.IGNORECASE,
)


class FittedAnswerer:
    """Answers with the articles' own sentences; see the module docstring."""

    name = "fitted"
    model = "fitted-scorer-v1"
    pool_k = 25  # passages it reads; it re-ranks them and keeps the settings' k as evidence
    # (answered or refused: the sources shown are the re-ranked ones)
    uses_as_of = True

    def __init__(
        self,
        settings: Settings | None = None,
        max_quotes: int | None = None,
        weights: Weights | None = None,
    ) -> None:
        configured = settings.answer.max_quotes if settings else 3
        self.max_quotes = max_quotes or configured
        self.k = settings.retrieval.k if settings else 6
        self.weights = weights or packaged_weights()

    def stream(
        self,
        question: str,
        hits: Sequence[Hit],
        source: ArticleSource,
        history: Sequence[Turn] = (),
        as_of: str = "",
    ) -> Iterator[Event]:
        yield from replay(self.answer(question, hits, source, as_of))

    def answer(
        self, question: str, hits: Sequence[Hit], source: ArticleSource, as_of: str = ""
    ) -> Answer:
        q = analyse(question)
        if _ARTICLE_DATE_QUESTION.search(q.text):
            return self._date_answer(question, hits, source)
        pool = candidates(hits, source)
        if not pool.items:
            return self._refuse(question, "No passage in the index matches the question.")
        q = ground(q, pool)
        answerable = score(q, pool, self.weights, as_of)
        top = best(pool)
        assert top is not None
        if answerable < self.weights.threshold:
            refused = self._refuse(question, _reason(q, pool), answerable)
            refused.evidence = _reranked(hits, pool, self.k)
            return refused
        chosen = quotes(top, pool, self.max_quotes)
        answer = _compose(question, q, chosen, self.name, self.model, pool, self.weights)
        answer.confidence = round(answerable, 4)
        answer.evidence = _reranked(hits, pool, self.k)
        return answer

    def _refuse(self, question: str, reason: str, confidence: float | None = None) -> Answer:
        return refusal(question, reason, self.name, self.model, confidence)

    def _date_answer(self, question: str, hits: Sequence[Hit], source: ArticleSource) -> Answer:
        """"When was the article … published?": the rules answerer quotes the article's own
        date line (ingest's date_line); only this narrower question is sent to it."""
        from assistant.answer.extractive import ExtractiveAnswerer

        answer = ExtractiveAnswerer(max_quotes=1).answer(question, hits, source)
        return replace(answer, backend=self.name, model=self.model)


def _reason(q: Question, pool: Pool) -> str:
    """A plain, true reason: a name no article found mentions, else what was not answered."""
    for name in q.names:
        wanted = term_set(name)
        if wanted and not any(wanted <= pool.article_terms(a) for a in pool.sentences):
            return f"None of the articles found mentions {name}."
    return f"No passage found answers “{question_phrase(q)}”"


def quotes(top: Candidate, pool: Pool, limit: int) -> list[Candidate]:
    """What the answer quotes, best first: ``_select``'s quotes, the best one widened."""
    chosen = _select(top, pool, limit)
    chosen[0] = _widened(chosen[0], pool)
    return chosen


def _select(top: Candidate, pool: Pool, limit: int) -> list[Candidate]:
    """The best quote, then other strong ones that are not near-duplicates: from other
    articles, or from the same article when not next to a quote already chosen (a
    neighbour that strong is already inside the best quote, see ``_widened``)."""
    chosen = [top]
    floor = SECOND_QUOTE * top.score
    for c in sorted(pool.items, key=lambda x: (-x.score, x.hit.rank, x.start)):
        if len(chosen) >= limit:
            break
        if c.score < floor or any(near_duplicate(c, o) for o in chosen):
            continue
        if any(o.article_id == c.article_id and abs(o.index - c.index) <= 1 for o in chosen):
            continue
        chosen.append(c)
    return chosen


def _widened(c: Candidate, pool: Pool) -> Candidate:
    """The best sentence with the sentence before and after it in one quote when the scorer
    rates that neighbour nearly as high (ADJACENT of the best's probability): a setup
    sentence that echoes the question and the specific that follows it are quoted together."""
    neighbours = {(o.article_id, o.index): o for o in pool.items}
    start, end = c.start, c.end
    for offset in (-1, 1):
        o = neighbours.get((c.article_id, c.index + offset))
        if o is not None and o.score >= ADJACENT * c.score:
            start, end = min(start, o.start), max(end, o.end)
    if (start, end) == (c.start, c.end):
        return c
    merged = Candidate.from_span(c.hit, pool.texts[c.article_id], start, end, c.index)
    merged.score = c.score
    return merged


def _reranked(hits: Sequence[Hit], pool: Pool, k: int) -> list[Hit]:
    """The passages ordered by their best sentence's probability (retrieval rank breaks ties),
    one passage an article first: the ``k`` shown are the ``k`` best articles' best passages,
    and other passages of theirs fill in only when fewer articles were found."""
    best_of: dict[str, float] = {}
    for c in pool.items:
        cid = c.hit.chunk.id
        best_of[cid] = max(best_of.get(cid, 0.0), c.score)
    ordered = sorted(hits, key=lambda h: (-best_of.get(h.chunk.id, -1.0), h.rank))
    seen: set[str] = set()
    first: list[Hit] = []
    rest: list[Hit] = []
    for h in ordered:
        (rest if h.chunk.article_id in seen else first).append(h)
        seen.add(h.chunk.article_id)
    return [
        replace(h, score=best_of.get(h.chunk.id, 0.0), rank=n)
        for n, h in enumerate((first + rest)[:k], 1)
    ]


def _citation(n: int, c: Candidate) -> Citation:
    return quote_citation(n, c.hit, c.start, c.end, c.text)


def _short_answer(
    q: Question, chosen: list[Candidate], pool: Pool, weights: Weights | None
) -> Span | None:
    model = weights.span if weights is not None else None
    found = pick_span(q, chosen, pool, model, weights.span_threshold if weights else 0.0)
    if found is None:
        return None
    c, m = chosen[found.quote], found.span
    return Span(c.text[m.start : m.end], found.quote + 1, c.article_id, c.start + m.start,
                c.start + m.end)


def _compose(
    question: str,
    q: Question,
    chosen: list[Candidate],
    backend: str,
    model: str,
    pool: Pool | None = None,
    weights: Weights | None = None,
) -> Answer:
    citations = [_citation(n, c) for n, c in enumerate(chosen, start=1)]
    span = _short_answer(q, chosen, pool, weights) if q.typed and pool is not None else None
    if span is not None:
        text = f"{span.text} [{span.citation}]"
    else:
        text = quoted_text(citations, [c.hit for c in chosen])
    return Answer(
        question=question,
        text=text,
        citations=citations,
        backend=backend,
        model=model,
        short_answer=span,
    )
