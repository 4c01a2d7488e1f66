"""The retrieved passages as numbered sentences, and the citations a model's chosen ids become.

Every sentence of every passage gets a stable id ``p{passage}.s{sentence}`` (both 1-based, in
the order shown to the model). A model answers by naming ids, so a quote is always a
sentence's own text at its offsets in the article: it cannot be invented. The check still
runs: a sentence whose offsets no longer hold in the article text is not cited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.answer.verify import NO_TEXT, NOT_FOUND, citation_for, find_phrase
from assistant.retrieval.base import ArticleSource
from assistant.text.sentences import sentence_spans
from assistant.types import Citation, Hit, Span, Unverified

UNKNOWN_ID = "no sentence has this id"
SHORT_ANSWER_WORDS = 12


@dataclass(frozen=True, slots=True)
class Sentence:
    """Sentence ``id`` of passage ``passage``: ``article_text[start:end] == text``."""

    id: str
    passage: int
    hit: Hit
    start: int
    end: int
    text: str


def number_sentences(hits: Sequence[Hit]) -> dict[str, Sentence]:
    """Every sentence of the passages by id, in passage then reading order."""
    numbered: dict[str, Sentence] = {}
    for p, hit in enumerate(hits, start=1):
        c = hit.chunk
        for s, (start, end) in enumerate(sentence_spans(c.text), start=1):
            sid = f"p{p}.s{s}"
            numbered[sid] = Sentence(sid, p, hit, c.start + start, c.start + end, c.text[start:end])
    return numbered


@dataclass
class Cited:
    """Citations 1..m in the order the model chose them; ``by_id`` maps id → citation n."""

    citations: list[Citation] = field(default_factory=list)
    unverified: list[Unverified] = field(default_factory=list)
    by_id: dict[str, int] = field(default_factory=dict)


def cite(
    ids: Sequence[str],
    sentences: dict[str, Sentence],
    source: ArticleSource,
    max_quotes: int,
) -> Cited:
    """The chosen sentences as verified citations (at most ``max_quotes``)."""
    result = Cited()
    texts: dict[str, str | None] = {}
    for sid in dict.fromkeys(i.lower() for i in ids):
        sentence = sentences.get(sid)
        if sentence is None:
            result.unverified.append(Unverified(sid, None, UNKNOWN_ID))
            continue
        if len(result.citations) >= max_quotes:
            break
        article_id = sentence.hit.chunk.article_id
        if article_id not in texts:
            texts[article_id] = source.article_text(article_id)
        text = texts[article_id]
        if text is None:
            result.unverified.append(Unverified(sentence.text, sentence.passage, NO_TEXT))
            continue
        if text[sentence.start : sentence.end] != sentence.text:
            result.unverified.append(Unverified(sentence.text, sentence.passage, NOT_FOUND))
            continue
        n = len(result.citations) + 1
        span = (sentence.start, sentence.end)
        result.citations.append(citation_for(n, sentence.hit, span, text, source))
        result.by_id[sid] = n
    return result


def short_answer(answer: str, citations: Sequence[Citation]) -> Span | None:
    """The model's short answer (a name, date, number, place) as a span of a cited quote,
    when it occurs there word for word; ``None`` for prose or words not in the quotes."""
    phrase = answer.strip().rstrip(".").strip()
    if not phrase or len(phrase.split()) > SHORT_ANSWER_WORDS or "\n" in phrase:
        return None
    for c in citations:
        span = find_phrase(phrase, c.quote)
        if span:
            start, end = c.start + span[0], c.start + span[1]
            return Span(c.quote[span[0] : span[1]], c.n, c.article_id, start, end)
    return None
