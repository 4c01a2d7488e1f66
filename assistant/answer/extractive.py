"""The default answerer: no model, deterministic, offline.

It scores the sentences of the retrieved passages against the question, keeps the best few
(no near-duplicates, a second outlet when one frames it too) and quotes them verbatim at
their offsets. It refuses unless the evidence covers the question: every name and number the
question asks about must occur, together, within a few sentences of one article, and the
best sentence must cover enough of the question's other words. That is what makes "What did
John Kerry say about Taiwan?" a refusal although both names occur in the articles.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from assistant.answer.events import CitationAdded, Done, Event, TextDelta
from assistant.answer.text import Query, analyse, mentions, normalize, term_set
from assistant.ingest.sentences import sentence_spans
from assistant.retrieval.base import ArticleSource
from assistant.settings import Settings
from assistant.types import Answer, Citation, Hit, Turn

WINDOW = 2  # sentences either side in which the question's names must meet
MIN_COVERAGE = 0.45  # share of the question's weighted terms the best sentence must hold
_ANSWER_CUES = {
    "where": re.compile(r"\b(?:in|at|to)\s+[A-Z]"),
    "when": re.compile(
        r"\b(?:\d{4}|January|February|March|April|May|June|July|August|September|October|"
        r"November|December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|"
        r"yesterday|today|last (?:week|month|year)|next (?:week|month|year))\b"
    ),
    "how_many": re.compile(r"\b(?:\d+|two|three|four|five|six|seven|eight|nine|ten|dozens?)\b"),
    "how_much": re.compile(r"\b\d+"),
    "who": re.compile(r"\b[A-Z][a-z]+\s+[A-Z][a-z]+"),
}


@dataclass
class Sentence:
    article_id: str
    start: int
    end: int
    text: str
    hit: Hit
    position: int  # index among the article's sentences
    terms: set[str]
    score: float = 0.0
    coverage: float = 0.0
    content: float = 0.0  # coverage of the words that are not names or numbers


class ExtractiveAnswerer:
    """Answers with the articles' own sentences; see the module docstring."""

    name = "extractive"
    model = "sentence-scoring-v1"

    def __init__(self, settings: Settings | None = None, max_quotes: int | None = None) -> None:
        configured = settings.answer.max_quotes if settings else 3
        self.max_quotes = max_quotes or configured

    def stream(
        self,
        question: str,
        hits: Sequence[Hit],
        source: ArticleSource,
        history: Sequence[Turn] = (),
    ) -> Iterator[Event]:
        answer = self.answer(question, hits, source)
        for piece in re.findall(r"\S+\s*", answer.text):
            yield TextDelta(piece)
        for citation in answer.citations:
            yield CitationAdded(citation)
        yield Done(answer)

    def answer(self, question: str, hits: Sequence[Hit], source: ArticleSource) -> Answer:
        query = analyse(question)
        sentences, article_sentences = _candidates(hits, source)
        if not sentences:
            return self._refuse(question, "No passage in the index matches the question.")
        reason = _missing_names(query, article_sentences)
        if reason:
            return self._refuse(question, reason)
        grounded = [s for s in sentences if _names_meet(query, s, article_sentences)]
        if not grounded:
            return self._refuse(question, _apart_reason(query))
        # A grounded sentence has the question's names nearby ("..., he added."): credit them.
        named = term_set(" ".join(query.names + query.numbers))
        for s in grounded:
            s.terms = s.terms | named
        _score(query, sentences)
        best = max(grounded, key=lambda s: s.score)
        if best.coverage < MIN_COVERAGE:
            return self._refuse(
                question, "The passages found share too few of the question's words to answer it."
            )
        chosen = _select(best, grounded, self.max_quotes)
        return self._compose(question, chosen)

    def _refuse(self, question: str, reason: str) -> Answer:
        return Answer(
            question=question,
            text=f"The articles don't say. {reason}",
            refused=True,
            refusal_reason=reason,
            backend=self.name,
            model=self.model,
        )

    def _compose(self, question: str, chosen: list[Sentence]) -> Answer:
        citations: list[Citation] = []
        parts: list[str] = []
        previous_article = None
        for n, s in enumerate(chosen, start=1):
            c = s.hit.chunk
            citations.append(
                Citation(
                    n=n,
                    quote=s.text,
                    article_id=s.article_id,
                    start=s.start,
                    end=s.end,
                    title=c.title,
                    outlet=c.outlet,
                    published=c.published,
                    chunk_id=c.id,
                )
            )
            who = c.outlet or f"“{c.title or c.article_id}” (outlet unknown)"
            when = f" ({c.published[:10]})" if c.published else ""
            if n == 1:
                lead = f"According to {who}{when}:"
            elif s.article_id == previous_article:
                lead = "It adds:"
            else:
                lead = f"{who}{when} also reports:"
            parts.append(f"{lead} “{s.text}” [{n}]")
            previous_article = s.article_id
        return Answer(
            question=question,
            text="\n".join(parts),
            citations=citations,
            backend=self.name,
            model=self.model,
        )


def _candidates(
    hits: Sequence[Hit], source: ArticleSource
) -> tuple[list[Sentence], dict[str, list[tuple[int, int, str]]]]:
    """Sentences of the retrieved passages (deduplicated across overlapping chunks), and every
    sentence of the articles they come from, lowercased, for the co-occurrence window."""
    seen: set[tuple[str, int]] = set()
    out: list[Sentence] = []
    by_article: dict[str, list[tuple[int, int, str]]] = {}
    for hit in hits:
        chunk = hit.chunk
        text = source.article_text(chunk.article_id)
        if text is None or text[chunk.start : chunk.end] != chunk.text:
            continue  # the article changed or vanished since it was indexed: nothing to quote
        if chunk.article_id not in by_article:
            by_article[chunk.article_id] = [
                (s, e, normalize(text[s:e]).lower()) for s, e in sentence_spans(text)
            ]
        spans = by_article[chunk.article_id]
        starts = [s for s, _, _ in spans]
        for s, e in sentence_spans(text, chunk.start, chunk.end):
            if (chunk.article_id, s) in seen or e - s < 25:
                continue
            seen.add((chunk.article_id, s))
            position = _position(starts, s)
            out.append(
                Sentence(chunk.article_id, s, e, text[s:e], hit, position, term_set(text[s:e]))
            )
    return out, by_article


def _position(starts: list[int], start: int) -> int:
    import bisect

    return max(0, bisect.bisect_right(starts, start) - 1)


def _missing_names(query: Query, article_sentences: dict[str, list[tuple[int, int, str]]]) -> str:
    """A refusal reason when a name or number of the question occurs in no retrieved article."""
    corpus = " ".join(t for spans in article_sentences.values() for _, _, t in spans)
    for name in query.names:
        if not mentions(corpus, name):
            return f"They don't mention {name}."
    for number in query.numbers:
        if not re.search(rf"(?<![\w]){re.escape(number)}(?![\w])", corpus):
            return f"They don't mention {number}."
    return ""


def _apart_reason(query: Query) -> str:
    asked = query.names + query.numbers
    if len(asked) >= 2:
        listed = ", ".join(asked[:-1]) + f" and {asked[-1]}"
        return f"They mention {listed}, but never together."
    return "No passage connects the question's subjects."


def _names_meet(
    query: Query, s: Sentence, article_sentences: dict[str, list[tuple[int, int, str]]]
) -> bool:
    """Every name and number of the question occurs within WINDOW sentences of ``s``."""
    if not query.names and not query.numbers:
        return True
    spans = article_sentences[s.article_id]
    lo, hi = max(0, s.position - WINDOW), min(len(spans), s.position + WINDOW + 1)
    window = " ".join(t for _, _, t in spans[lo:hi])
    if not all(mentions(window, name) for name in query.names):
        return False
    return all(re.search(rf"(?<![\w]){re.escape(n)}(?![\w])", window) for n in query.numbers)


def _score(query: Query, sentences: list[Sentence]) -> None:
    """Weighted term coverage (IDF over the candidate sentences) plus small cues for the kind
    of answer asked for and for the passage's retrieval rank."""
    q_terms = {t for t in term_set(query.text) if t}
    df = Counter(t for s in sentences for t in s.terms & q_terms)
    n = len(sentences)
    weight = {t: math.log(1 + (n + 1) / (df.get(t, 0) + 0.5)) for t in q_terms}
    total = sum(weight.values()) or 1.0
    named = term_set(" ".join(query.names + query.numbers))
    content_total = sum(w for t, w in weight.items() if t not in named)
    cue = _ANSWER_CUES.get(query.kind)
    for s in sentences:
        matched = sum(w for t, w in weight.items() if t in s.terms)
        s.coverage = matched / total
        content = sum(w for t, w in weight.items() if t in s.terms and t not in named)
        s.content = content / content_total if content_total else s.coverage
        bonus = 0.08 if cue is not None and cue.search(s.text) else 0.0
        s.score = s.coverage + bonus + 0.03 / s.hit.rank


def _select(best: Sentence, pool: list[Sentence], limit: int) -> list[Sentence]:
    """The best sentence, then strong ones that add something: another outlet's framing or
    words the chosen ones lack; never a near-duplicate."""
    chosen = [best]
    for s in sorted(pool, key=lambda x: -x.score):
        if len(chosen) >= limit:
            break
        if s is best or s.score < 0.8 * best.score or s.coverage < MIN_COVERAGE:
            continue
        if s.content < 0.8 * best.content:
            continue
        if any(_similar(s, c) for c in chosen):
            continue
        chosen.append(s)
    return chosen


def _similar(a: Sentence, b: Sentence) -> bool:
    if a.article_id == b.article_id and a.start < b.end and b.start < a.end:
        return True
    union = a.terms | b.terms
    return bool(union) and len(a.terms & b.terms) / len(union) > 0.6
