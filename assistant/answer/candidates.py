"""Quotable candidates for the extractive answerer: the sentences of the retrieved passages
and pairs of adjacent ones, each a verbatim span ``article_text[start:end]``."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.answer.text import normalize, term_set, words
from assistant.retrieval.base import ArticleSource
from assistant.text.sentences import sentence_spans
from assistant.types import Hit

MIN_SENTENCE_CHARS = 25


@dataclass
class Candidate:
    article_id: str
    start: int
    end: int
    text: str
    hit: Hit
    first: int  # index of its first sentence among the article's sentences
    last: int
    terms: set[str]
    length: int
    pair: bool = False
    score: float = 0.0
    coverage: float = 0.0
    content: float = 0.0  # coverage of the words that are not names or numbers

    @classmethod
    def from_span(cls, hit: Hit, text: str, start: int, end: int, first: int = 0,
                  last: int = 0, pair: bool = False) -> Candidate:
        quote = text[start:end]
        return cls(hit.chunk.article_id, start, end, quote, hit, first, last, term_set(quote),
                   len(words(quote)), pair)


@dataclass
class Pool:
    """Candidates plus each source article's sentences, for windows around a candidate."""

    items: list[Candidate] = field(default_factory=list)
    sentences: dict[str, list[str]] = field(default_factory=dict)
    _joined: dict[str, str] = field(default_factory=dict)

    def article_texts(self) -> dict[str, str]:
        return {aid: self.article(aid) for aid in self.sentences}

    def article(self, article_id: str) -> str:
        """The article's sentences, normalised and joined (cached)."""
        if article_id not in self._joined:
            self._joined[article_id] = " ".join(self.sentences[article_id])
        return self._joined[article_id]

    def window(self, c: Candidate, after: int, before: int | None = None) -> str:
        """The normalised text from ``before`` (default ``after``) sentences ahead of ``c``
        to ``after`` sentences past it."""
        spans = self.sentences[c.article_id]
        lo = max(0, c.first - (after if before is None else before))
        return " ".join(spans[lo : c.last + after + 1])


    def previous(self, c: Candidate) -> str:
        """The sentence just before ``c`` (empty at the start of the article)."""
        return self.sentences[c.article_id][c.first - 1] if c.first > 0 else ""


def candidates(hits: Sequence[Hit], source: ArticleSource) -> Pool:
    """Sentences and adjacent-sentence pairs of the hits, deduplicated across overlapping
    chunks. A chunk whose article changed since indexing is skipped: nothing to quote."""
    pool = Pool()
    seen: set[tuple[str, int, int]] = set()
    starts: dict[str, list[int]] = {}
    for hit in hits:
        chunk = hit.chunk
        text = source.article_text(chunk.article_id)
        if text is None or text[chunk.start : chunk.end] != chunk.text:
            continue
        if chunk.article_id not in pool.sentences:
            spans = sentence_spans(text)
            pool.sentences[chunk.article_id] = [normalize(text[s:e]) for s, e in spans]
            starts[chunk.article_id] = [s for s, _ in spans]
        local = [
            (s, e) for s, e in sentence_spans(text, chunk.start, chunk.end)
            if e - s >= MIN_SENTENCE_CHARS
        ]
        index = starts[chunk.article_id]
        for i, (s, e) in enumerate(local):
            first = max(0, bisect.bisect_right(index, s) - 1)
            _add(pool, seen, Candidate.from_span(hit, text, s, e, first, first))
            if i + 1 < len(local):
                s2, e2 = local[i + 1]
                last = max(0, bisect.bisect_right(index, s2) - 1)
                if last == first + 1 and "\n\n" not in text[e:s2]:
                    _add(pool, seen, Candidate.from_span(hit, text, s, e2, first, last, True))
    return pool


def _add(pool: Pool, seen: set[tuple[str, int, int]], c: Candidate) -> None:
    key = (c.article_id, c.start, c.end)
    if key not in seen:
        seen.add(key)
        pool.items.append(c)
