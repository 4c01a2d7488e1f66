"""Re-rank retrieved passages by the time a question asks about ("in 2021", "this week",
"most recently", "before the Anchorage meeting"), using each article's honest date.

Relevance order is kept wherever time says nothing: a range moves the passages of articles
that are (or, for inferred dates, could be) from it — or from the month after it, when the
news of it appears — ahead of the undated and then the out-of-range ones, relevance deciding
within each group; "latest"/"earliest" fuse relevance rank and date rank by reciprocal rank.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from assistant.retrieval.base import ArticleSource, Retriever
from assistant.text.dates import (
    UNKNOWN,
    ArticleDate,
    TimeHint,
    date_of,
    event_anchor,
    find_dates,
    question_time,
    sentence_around,
    with_event_day,
)
from assistant.types import Hit

DateOf = Callable[[str], ArticleDate]
_RRF_K = 10


def dates_from(source: ArticleSource) -> DateOf:
    """``article_id → ArticleDate`` over ``source``, cached (one lookup per article)."""
    cache: dict[str, ArticleDate] = {}

    def lookup(article_id: str) -> ArticleDate:
        if article_id not in cache:
            article = source.article(article_id)
            cache[article_id] = (
                date_of(article, source.article_text(article_id))
                if article is not None
                else ArticleDate(UNKNOWN, "undated")
            )
        return cache[article_id]

    return lookup


def rerank_for_question(
    hits: Sequence[Hit], question: str, dates: DateOf, as_of: str = ""
) -> list[Hit]:
    """``rerank_by_time`` with the question's own time hint; "this week"-type words count from
    ``as_of`` (``Filters.as_of``) and are ignored without it."""
    return rerank_by_time(hits, question_time(question, as_of), dates)


def rerank_by_time(hits: Sequence[Hit], hint: TimeHint, dates: DateOf) -> list[Hit]:
    """``hits`` reordered for ``hint`` (unchanged without one), ranks renumbered 1..n."""
    if hint.kind == "range":
        order = sorted(
            range(len(hits)),
            key=lambda i: (_range_class(dates(hits[i].chunk.article_id), hint), i),
        )
    elif hint.kind in ("latest", "earliest"):
        order = _by_date(hits, dates, newest_first=hint.kind == "latest")
    else:
        return list(hits)
    return [replace(hits[i], rank=rank) for rank, i in enumerate(order, start=1)]


REPORTING_DAYS = 31


def _range_class(date: ArticleDate, hint: TimeHint) -> int:
    """0 from the range or up to a month after it (news of an event follows it; stated or
    inferred, relevance decides among them), 1 undated or only bounded on one side (an update
    date), 2 out of it."""
    if date.kind == UNKNOWN or not (date.lo and date.hi):
        return 1
    until = hint.until
    if until:
        until = (dt.date.fromisoformat(until) + dt.timedelta(days=REPORTING_DAYS)).isoformat()
    return 0 if date.overlaps(hint.since, until) else 2


def _by_date(hits: Sequence[Hit], dates: DateOf, *, newest_first: bool) -> list[int]:
    def day(i: int) -> str:
        """Stated dates as they are; an inferred span by its earliest day (it may be no later),
        an update-only date by itself (the article is no later than that)."""
        d = dates(hits[i].chunk.article_id)
        return d.lo or d.hi

    dated = sorted((i for i in range(len(hits)) if day(i)), key=day, reverse=newest_first)
    by_time = {i: r for r, i in enumerate(dated, start=1)}
    fused = {
        i: 1 / (_RRF_K + i + 1) + (1 / (_RRF_K + by_time[i]) if i in by_time else 0.0)
        for i in range(len(hits))
    }
    return sorted(fused, key=lambda i: (-fused[i], i))


def event_day(event: str, retriever: Retriever, dates: DateOf, k: int = 5) -> str:
    """The earliest day the archive's sentences give ``event`` ("the Anchorage meeting"): a
    date in a sentence that holds the event's words, resolved against its article's date."""
    words = [w for w in re.findall(r"\w+", event.casefold()) if len(w) > 3 or w.isdigit()]
    if not words:
        return ""
    days: list[str] = []
    for hit in retriever.retrieve(event, k):
        text = hit.chunk.text
        anchor = event_anchor(dates(hit.chunk.article_id))
        for found in find_dates(text, anchor):
            start, end = sentence_around(text, found.start, found.end)
            sentence = text[start:end].casefold()
            if all(re.search(rf"\b{re.escape(w)}", sentence) for w in words):
                days.append(found.lo)
    return min(days, default="")


def resolve_hint(hint: TimeHint, retriever: Retriever, dates: DateOf) -> TimeHint:
    """A "before/after <event>" hint with the event's day looked up (unchanged if unknown)."""
    if hint.kind in ("before", "after"):
        return with_event_day(hint, event_day(hint.event, retriever, dates))
    return hint
