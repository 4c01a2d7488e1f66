"""Every answer's citations get the same reader-facing details, whatever backend answered:
how sure the article's date is (kind and label), its update date and address, and who the
quoted sentence attributes the words to."""

from __future__ import annotations

from dataclasses import replace

from assistant.answer.attribution import speaker_of
from assistant.retrieval.base import ArticleSource
from assistant.text.dates import date_of, sentence_around
from assistant.types import Citation


def enrich_citation(citation: Citation, source: ArticleSource) -> Citation:
    """``citation`` with date kind/label, updated, url and speaker filled from its article."""
    article = source.article(citation.article_id)
    if article is None:
        return citation
    text = source.article_text(citation.article_id) or ""
    date = date_of(article, text)
    speaker = citation.speaker
    if not speaker and text[citation.start : citation.end] == citation.quote:
        start, end = sentence_around(text, citation.start, citation.end)
        speaker = speaker_of(text[min(start, citation.start) : max(end, citation.end)])
    return replace(
        citation,
        title=citation.title or article.title,
        outlet=citation.outlet or article.outlet,
        published=citation.published or article.published,
        updated=citation.updated or article.updated,
        url=citation.url or str(getattr(article, "url", "") or ""),
        date_kind=date.kind,
        date_label=date.label,
        speaker=speaker,
    )
