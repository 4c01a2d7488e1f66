"""Who says what: the question answered once per outlet, from that outlet's passages only, so
each side's own verified words stand side by side instead of one blended answer.

Retrieval is widened first (more passages, and at least the best passages of every known
outlet), since the passages one answer needs rarely cover every outlet. The configured
answerer answers each outlet's passages; an outlet whose passages do not answer the question
gets no block. An article without a known outlet is its own block.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from assistant.answer.base import Answerer
from assistant.answer.enrich import enrich_citation
from assistant.answer.events import Done
from assistant.retrieval.base import ArticleSource, Retriever
from assistant.types import Answer, Citation, Filters, Hit, Perspective, Turn

MAX_BLOCKS = 6
QUOTES_PER_BLOCK = 2
PASSAGES_PER_BLOCK = 4


def group_key(hit: Hit) -> str:
    outlet = hit.chunk.outlet.strip()
    return outlet.casefold() if outlet else f"article:{hit.chunk.article_id}"


def widen(
    retriever: Retriever,
    question: str,
    hits: Sequence[Hit],
    k: int,
    filters: Filters | None,
    outlets: Sequence[str],
) -> list[Hit]:
    """``hits`` plus a wider retrieval and each known outlet's best passages."""
    found: dict[str, Hit] = {h.chunk.id: h for h in hits}
    for hit in retriever.retrieve(question, max(3 * k, 20), filters):
        found.setdefault(hit.chunk.id, hit)
    seen = {group_key(h) for h in found.values()}
    base = filters or Filters()
    for outlet in outlets:
        if outlet.casefold() in seen or (base.outlets and outlet not in base.outlets):
            continue
        for hit in retriever.retrieve(question, 2, replace(base, outlets=(outlet,))):
            found.setdefault(hit.chunk.id, hit)
    return list(found.values())


def perspectives(
    question: str,
    hits: Sequence[Hit],
    source: ArticleSource,
    answerer: Answerer,
    answer: Answer,
    history: Sequence[Turn] = (),
) -> tuple[list[Perspective], list[Citation]]:
    """One block per outlet whose passages answer ``question``, and the answer's citations
    with the blocks' new quotes appended (a quote already cited keeps its marker)."""
    groups: dict[str, list[Hit]] = {}
    for hit in sorted(hits, key=lambda h: h.rank):
        groups.setdefault(group_key(hit), []).append(hit)
    citations = list(answer.citations)
    blocks: list[Perspective] = []
    for group in list(groups.values())[:MAX_BLOCKS]:
        passages = [replace(h, rank=r) for r, h in enumerate(group[:PASSAGES_PER_BLOCK], 1)]
        own = _answer(answerer, question, passages, source, history)
        if own is None or own.refused or not own.citations:
            continue
        quotes = [_numbered(c, citations, source) for c in own.citations[:QUOTES_PER_BLOCK]]
        first = group[0].chunk
        dates = dict.fromkeys(q.date_text() for q in quotes)
        blocks.append(Perspective(first.outlet, first.title, "; ".join(dates), tuple(quotes)))
    return blocks, citations


def coverage_note(blocks: Sequence[Perspective], named: str = "") -> str:
    """Say plainly how many outlets the blocks come from."""
    if named:
        return f"Who says what: only {named}, the outlet the question names."
    if not blocks:
        return "Who says what: no outlet's articles answer this on their own."
    if len(blocks) == 1:
        return f"Who says what: only one outlet covers this question ({blocks[0].label()})."
    named_outlets = [b.outlet for b in blocks if b.outlet]
    unknown = len(blocks) - len(named_outlets)
    parts = named_outlets + ([f"{unknown} article(s) of unknown outlet"] if unknown else [])
    return f"Who says what: {len(blocks)} sources cover this question: {', '.join(parts)}."


def _answer(
    answerer: Answerer,
    question: str,
    passages: list[Hit],
    source: ArticleSource,
    history: Sequence[Turn],
) -> Answer | None:
    for event in answerer.stream(question, passages, source, history):
        if isinstance(event, Done):
            return event.answer
    return None


def _numbered(quote: Citation, citations: list[Citation], source: ArticleSource) -> Citation:
    for c in citations:
        if (c.article_id, c.start, c.end) == (quote.article_id, quote.start, quote.end):
            return c
    n = max((c.n for c in citations), default=0) + 1
    numbered = enrich_citation(replace(quote, n=n), source)
    citations.append(numbered)
    return numbered
