"""Which parts of an article's text are worth quoting, as spans; the rest is dropped with a reason.

Kept text is never rewritten: a kept span is a run of body lines of one paragraph, exactly as
stored. Dropped: front matter, every line ``layout`` gives a non-body role (title, labels,
metadata, credits, boilerplate, headings) and any paragraph already kept earlier (some pages
carry their whole text twice).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from assistant.ingest.layout import BODY, Layout, analyse, norm
from assistant.ingest.loaders import kind_of
from assistant.types import Article

FRONT_MATTER = "front matter"
DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """``[start, end)`` character offsets into the article's text."""

    start: int
    end: int


def clean(text: str, article: Article) -> tuple[list[Span], list[tuple[Span, str]]]:
    """Kept paragraph spans in text order, and dropped ``(span, reason)`` in text order."""
    layout = analyse(text, kind_of(article.path), title=article.title)
    kept: list[Span] = []
    dropped: list[tuple[Span, str]] = []
    if layout.front_matter_end:
        dropped.append((Span(0, layout.front_matter_end), FRONT_MATTER))
    seen: set[str] = set()
    for span, role in _units(layout):
        if role != BODY:
            dropped.append((span, role))
            continue
        key = norm(text[span.start : span.end])
        if key in seen:
            dropped.append((span, DUPLICATE))
        else:
            seen.add(key)
            kept.append(span)
    return kept, dropped


def _units(layout: Layout) -> Iterator[tuple[Span, str]]:
    """Each non-body line alone, and each run of body lines within one paragraph together."""
    run: Span | None = None
    run_para = -1
    for line, role in zip(layout.lines, layout.roles, strict=True):
        if role == BODY and run is not None and line.para == run_para:
            run = Span(run.start, line.end)
            continue
        if run is not None:
            yield run, BODY
            run = None
        if role == BODY:
            run, run_para = Span(line.start, line.end), line.para
        else:
            yield Span(line.start, line.end), role
    if run is not None:
        yield run, BODY
