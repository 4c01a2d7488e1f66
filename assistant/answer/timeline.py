"""Timelines: the dated events about a topic across the archive, oldest first.

An event is a sentence that is about the topic (most of the topic's words) and names a date;
the date is resolved against its article's date when the words are relative ("on Thursday"),
which the entry marks. Each entry is a verified quote (``text[start:end] == quote``). The same
event reported by several outlets — the same resolved date and overlapping words — is one event.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from assistant.answer.enrich import enrich_citation
from assistant.retrieval.base import ArticleSource, Retriever
from assistant.retrieval.bm25 import tokenize
from assistant.text.dates import INFERRED, EventDate, date_of, event_anchor, find_dates
from assistant.text.sentences import sentence_spans
from assistant.types import Citation, Filters

_PRECISION = {"day": 0, "week": 1, "month": 2, "year": 3}
MIN_SHARED_WORDS = 3


@dataclass(frozen=True, slots=True)
class Entry:
    """One verified quote, the date words in it and what they resolve to."""

    citation: Citation
    date: EventDate
    from_article: bool

    def mark(self) -> str:
        """How the date was reached, for readers: "" when the sentence states it whole."""
        if not self.from_article:
            return ""
        inferred = self.citation.date_kind == INFERRED
        basis = "the article's date, itself inferred from its text" if inferred else "its date"
        return f"date inferred from the article: “{self.date.words}” counted from {basis}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "citation": self.citation.to_dict(),
            "date_words": self.date.words,
            "date_inferred_from_article": self.from_article,
            "mark": self.mark(),
        }


@dataclass(slots=True)
class Event:
    """Entries of one date that tell of the same thing (possibly from several outlets)."""

    value: str
    precision: str
    lo: str
    hi: str
    entries: list[Entry] = field(default_factory=list)

    def outlets(self) -> list[str]:
        return list(dict.fromkeys(e.citation.outlet or "unknown outlet" for e in self.entries))

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.value,
            "precision": self.precision,
            "lo": self.lo,
            "hi": self.hi,
            "outlets": self.outlets(),
            "entries": [e.to_dict() for e in self.entries],
        }


def timeline(
    topic: str,
    retriever: Retriever,
    source: ArticleSource,
    filters: Filters | None = None,
    k: int = 40,
) -> list[Event]:
    """The dated events about ``topic``; ``filters``' dates bound the events' dates (an
    undated article's events count when resolved), its outlets the articles."""
    terms = set(tokenize(topic))
    if not terms:
        return []
    since, until = (filters.since, filters.until) if filters else ("", "")
    scope = replace(filters, since="", until="", include_inferred=False) if filters else None
    hits = retriever.retrieve(topic, k, None if scope is None or scope.is_empty() else scope)
    entries: dict[tuple[str, int], Entry] = {}
    for hit in hits:
        chunk = hit.chunk
        text = source.article_text(chunk.article_id)
        article = source.article(chunk.article_id)
        if text is None or article is None:
            continue
        anchor = event_anchor(date_of(article, text))
        for start, end in sentence_spans(text, chunk.start, chunk.end):
            if (chunk.article_id, start) in entries or not _about(text[start:end], terms):
                continue
            entry = _entry(text, start, end, anchor, chunk.article_id, source)
            if entry is not None and _within(entry.date, since, until):
                entries[(chunk.article_id, start)] = entry
    return group(list(entries.values()))


def group(entries: Sequence[Entry]) -> list[Event]:
    """Oldest first; entries of the same resolved date and overlapping words are one event."""
    events: list[Event] = []
    for entry in sorted(entries, key=_order):
        d = entry.date
        same = next(
            (
                e
                for e in events
                if (e.value, e.precision) == (d.value, d.precision)
                and any(_shared(entry, other) >= MIN_SHARED_WORDS for other in e.entries)
            ),
            None,
        )
        if same is None:
            same = Event(d.value, d.precision, d.lo, d.hi)
            events.append(same)
        same.entries.append(entry)
    return sorted(events, key=lambda e: (e.lo, _PRECISION[e.precision], e.hi))


def _about(sentence: str, terms: set[str]) -> bool:
    """Most of the topic's words (two of three, all of two) are in the sentence."""
    found = terms & set(tokenize(sentence))
    return len(found) >= math.ceil(2 * len(terms) / 3)


def _entry(
    text: str, start: int, end: int, anchor: str, article_id: str, source: ArticleSource
) -> Entry | None:
    dates = find_dates(text[start:end], anchor)
    if not dates:
        return None
    best = min(dates, key=lambda d: (_PRECISION[d.precision], d.relative, d.start))
    citation = enrich_citation(Citation(0, text[start:end], article_id, start, end), source)
    return Entry(citation, best, best.relative)


def _within(date: EventDate, since: str, until: str) -> bool:
    return not (since and date.hi < since) and not (until and date.lo > until)


def _order(entry: Entry) -> tuple[str, int, str, int]:
    return (
        entry.date.lo,
        _PRECISION[entry.date.precision],
        entry.citation.article_id,
        entry.citation.start,
    )


def _shared(a: Entry, b: Entry) -> int:
    return len(set(tokenize(a.citation.quote)) & set(tokenize(b.citation.quote)))
