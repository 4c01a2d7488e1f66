"""Quotable candidates: the sentences of the retrieved passages, each a verbatim span
``article_text[start:end]`` that knows its neighbours, its article and its passage."""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.retrieval.base import ArticleSource
from assistant.text.sentences import sentence_spans
from assistant.text.tokens import term_set
from assistant.types import Hit

MIN_SENTENCE_CHARS = 20


@dataclass
class Candidate:
    article_id: str
    start: int
    end: int
    text: str
    hit: Hit
    index: int  # its position among the article's sentences
    terms: set[str]
    score: float = 0.0

    @classmethod
    def from_span(cls, hit: Hit, text: str, start: int, end: int, index: int = 0) -> Candidate:
        quote = text[start:end]
        return cls(hit.chunk.article_id, start, end, quote, hit, index, term_set(quote))


@dataclass
class Pool:
    """Candidates plus each source article's sentences (as term sets), for windows."""

    items: list[Candidate] = field(default_factory=list)
    sentences: dict[str, list[set[str]]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    _article_terms: dict[str, set[str]] = field(default_factory=dict)

    def window(self, c: Candidate, width: int) -> set[str]:
        """Terms of ``c`` and the ``width`` sentences either side of it."""
        spans = self.sentences[c.article_id]
        found: set[str] = set()
        for terms in spans[max(0, c.index - width) : c.index + width + 1]:
            found |= terms
        return found

    def neighbour(self, c: Candidate, offset: int) -> set[str]:
        spans = self.sentences[c.article_id]
        i = c.index + offset
        return spans[i] if 0 <= i < len(spans) else set()

    def article_terms(self, article_id: str) -> set[str]:
        if article_id not in self._article_terms:
            found: set[str] = set()
            for terms in self.sentences[article_id]:
                found |= terms
            self._article_terms[article_id] = found
        return self._article_terms[article_id]


_CACHE: OrderedDict[tuple[str, int], tuple[list[tuple[int, int]], list[set[str]]]] = OrderedDict()
_CACHE_SIZE = 512


def _sentences(article_id: str, text: str) -> tuple[list[tuple[int, int]], list[set[str]]]:
    """An article's sentence spans and their terms, cached by id and text (articles recur)."""
    key = (article_id, hash(text))
    found = _CACHE.get(key)
    if found is None:
        spans = sentence_spans(text)
        found = (spans, [term_set(text[s:e]) for s, e in spans])
        _CACHE[key] = found
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return found


def candidates(hits: Sequence[Hit], source: ArticleSource) -> Pool:
    """The sentences of the hits, deduplicated across overlapping chunks. A chunk whose
    article changed since indexing is skipped: nothing to quote."""
    pool = Pool()
    seen: set[tuple[str, int]] = set()
    starts: dict[str, list[int]] = {}
    for hit in hits:
        chunk = hit.chunk
        text = pool.texts.get(chunk.article_id) or source.article_text(chunk.article_id)
        if text is None or text[chunk.start : chunk.end] != chunk.text:
            continue
        if chunk.article_id not in pool.sentences:
            spans, sentence_terms = _sentences(chunk.article_id, text)
            pool.texts[chunk.article_id] = text
            pool.sentences[chunk.article_id] = sentence_terms
            starts[chunk.article_id] = [s for s, _ in spans]
        index = starts[chunk.article_id]
        for s, e in sentence_spans(text, chunk.start, chunk.end):
            if e - s < MIN_SENTENCE_CHARS or (chunk.article_id, s) in seen:
                continue
            seen.add((chunk.article_id, s))
            i = max(0, bisect.bisect_right(index, s) - 1)
            pool.items.append(Candidate.from_span(hit, text, s, e, i))
    return pool
