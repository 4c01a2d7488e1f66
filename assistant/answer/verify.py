"""Finds a model's quote in the evidence and keeps the article's own characters.

This is the heart of the promise: a citation is shown only if its words occur in the article,
and what is shown is ``article_text[start:end]``, never the model's copy. Matching forgives
what models change without changing meaning: runs of whitespace, the kind of quote mark,
dash or ellipsis, spaces around dashes, and (only as a last resort) letter case.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from assistant.retrieval.base import ArticleSource
from assistant.types import Citation, Hit, Unverified

MIN_WORDS = 3
MIN_CHARS = 15

NOT_FOUND = "not found in passage or article"
TOO_SHORT = "too short to verify"
NO_TEXT = "the article's text is not available"
INLINE_NOT_FOUND = "quoted in the answer's text but not found in the articles"

_QUOTES = "\"'“”‘’‚‛„‟″′´`«»‹›"
_DASHES = "-‐‑‒–—―−"
_DROP = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_INLINE = re.compile(r'[“"«]([^“”"«»\n]+)[”"»]')
_STRIP = _QUOTES + _DASHES + " \t\r\n\u00a0.,;:!?…"


def _map_char(ch: str, fold: bool) -> str:
    if ch in _QUOTES:
        return '"'
    if ch in _DASHES:
        return "-"
    if ch == "…":
        return "..."
    if fold:
        low = ch.lower()
        return low if len(low) == 1 else ch
    return ch


@dataclass(frozen=True, slots=True)
class Normalised:
    """``text[i]`` came from ``original[starts[i]:ends[i]]``."""

    text: str
    starts: list[int]
    ends: list[int]


@lru_cache(maxsize=64)
def normalise(original: str, fold: bool = False) -> Normalised:
    """One space for any whitespace run, none around dashes, one form of each mark."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    space_at = -1
    for i, ch in enumerate(original):
        if ch in _DROP:
            continue
        if ch.isspace():
            if space_at < 0:
                space_at = i
            continue
        mapped = _map_char(ch, fold)
        if space_at >= 0 and chars and chars[-1] != "-" and mapped[0] != "-":
            chars.append(" ")
            starts.append(space_at)
            ends.append(space_at + 1)
        space_at = -1
        for c in mapped:
            chars.append(c)
            starts.append(i)
            ends.append(i + 1)
    return Normalised("".join(chars), starts, ends)


def clean_quote(quote: str) -> str:
    """The quote without the marks, punctuation and ellipses a model puts around it."""
    return quote.strip(_STRIP)


def too_short(cleaned: str) -> bool:
    """Very short quotes occur by chance; they cannot vouch for a claim."""
    return len(cleaned.split()) < MIN_WORDS or len(cleaned) < MIN_CHARS


def _at_word_edges(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() and text[start].isalnum()) and not (
        after.isalnum() and text[end - 1].isalnum()
    )


def _find(needle: str, haystack: str, fold: bool) -> tuple[int, int] | None:
    """Offsets into ``haystack`` of the first whole-word normalised match of ``needle``."""
    norm = normalise(haystack, fold)
    at = norm.text.find(needle)
    while at >= 0:
        start, end = norm.starts[at], norm.ends[at + len(needle) - 1]
        if _at_word_edges(haystack, start, end):
            return start, end
        at = norm.text.find(needle, at + 1)
    return None


def locate(
    quote: str, passage_text: str, passage_start: int, article_text: str
) -> tuple[int, int] | None:
    """Offsets into ``article_text`` of ``quote``: its passage first, then the whole article;
    exact-case before case-insensitive. ``None`` if absent or too short to verify."""
    cleaned = clean_quote(quote)
    if too_short(cleaned):
        return None
    passage_end = passage_start + len(passage_text)
    passage_ok = passage_start >= 0 and article_text[passage_start:passage_end] == passage_text
    for fold in (False, True):
        needle = normalise(cleaned, fold).text
        if passage_ok:
            span = _find(needle, passage_text, fold)
            if span:
                return span[0] + passage_start, span[1] + passage_start
        span = _find(needle, article_text, fold)
        if span:
            return span
    return None


@dataclass(frozen=True, slots=True)
class Claim:
    """A quote a model attributed to passage ``passage`` (1-based, as shown to it)."""

    passage: int
    quote: str


@dataclass
class Verification:
    """Citations numbered 1..m in claim order; ``by_passage`` maps a claimed passage number to
    the citation numbers it produced (for renumbering the answer's markers)."""

    citations: list[Citation] = field(default_factory=list)
    unverified: list[Unverified] = field(default_factory=list)
    by_passage: dict[int, list[int]] = field(default_factory=dict)


def find_phrase(phrase: str, text: str) -> tuple[int, int] | None:
    """Offsets in ``text`` of ``phrase`` as whole words, exact case first; any length (the
    caller knows the phrase came from a model and the text is already verified evidence)."""
    cleaned = clean_quote(phrase)
    if not cleaned:
        return None
    for fold in (False, True):
        span = _find(normalise(cleaned, fold).text, text, fold)
        if span:
            return span
    return None


def citation_for(
    n: int, hit: Hit, span: tuple[int, int], text: str, source: ArticleSource
) -> Citation:
    """Citation ``n`` for ``text[span]`` of ``hit``'s article, with the article's metadata."""
    return _citation(n, hit, span, text, source)


def _citation(
    n: int, hit: Hit, span: tuple[int, int], text: str, source: ArticleSource
) -> Citation:
    c = hit.chunk
    article = source.article(c.article_id) if not (c.title and c.outlet and c.published) else None
    return Citation(
        n=n,
        quote=text[span[0] : span[1]],
        article_id=c.article_id,
        start=span[0],
        end=span[1],
        title=c.title or (article.title if article else ""),
        outlet=c.outlet or (article.outlet if article else ""),
        published=c.published or (article.date if article else ""),
        chunk_id=c.id,
    )


class _Texts:
    """Article texts read once per verification."""

    def __init__(self, source: ArticleSource) -> None:
        self._source = source
        self._cache: dict[str, str | None] = {}

    def get(self, article_id: str) -> str | None:
        if article_id not in self._cache:
            self._cache[article_id] = self._source.article_text(article_id)
        return self._cache[article_id]


def _search(
    quote: str, cited: Hit, hits: Sequence[Hit], texts: _Texts
) -> tuple[Hit, tuple[int, int], str] | None:
    """The cited passage's article first; then the other evidence, since small models often
    give the wrong number for words they did copy. The citation names where the words are."""
    order = [cited] + [h for h in hits if h.chunk.article_id != cited.chunk.article_id]
    seen: set[str] = set()
    for hit in order:
        c = hit.chunk
        if c.article_id in seen:
            continue
        seen.add(c.article_id)
        text = texts.get(c.article_id)
        if text is None:
            continue
        span = locate(quote, c.text, c.start, text)
        if span:
            return hit, span, text
    return None


def verify_quotes(
    claims: Sequence[Claim | tuple[int, str]], hits: Sequence[Hit], source: ArticleSource
) -> Verification:
    """Turn the model's (passage, quote) claims into verified Citations and Unverified ones."""
    result = Verification()
    texts = _Texts(source)
    seen: dict[tuple[str, int, int], int] = {}
    for item in claims:
        claim = item if isinstance(item, Claim) else Claim(*item)
        if not 1 <= claim.passage <= len(hits):
            reason = f"passage [{claim.passage}] does not exist"
            result.unverified.append(Unverified(claim.quote, claim.passage, reason))
            continue
        if too_short(clean_quote(claim.quote)):
            result.unverified.append(Unverified(claim.quote, claim.passage, TOO_SHORT))
            continue
        cited = hits[claim.passage - 1]
        if texts.get(cited.chunk.article_id) is None:
            result.unverified.append(Unverified(claim.quote, claim.passage, NO_TEXT))
            continue
        found = _search(claim.quote, cited, hits, texts)
        if found is None:
            result.unverified.append(Unverified(claim.quote, claim.passage, NOT_FOUND))
            continue
        hit, span, text = found
        key = (hit.chunk.article_id, span[0], span[1])
        if key not in seen:
            seen[key] = len(result.citations) + 1
            result.citations.append(_citation(seen[key], hit, span, text, source))
        numbers = result.by_passage.setdefault(claim.passage, [])
        if seen[key] not in numbers:
            numbers.append(seen[key])
    return result


def check_inline_quotes(prose: str, hits: Sequence[Hit], source: ArticleSource) -> list[Unverified]:
    """Words the answer's own prose puts in quotation marks must be in the evidence too;
    those that are not are reported (the prose is the model's, so it is not rewritten)."""
    texts = _Texts(source)
    missing: list[Unverified] = []
    for match in _INLINE.finditer(prose):
        words = match.group(1)
        if not hits or too_short(clean_quote(words)):
            continue
        if _search(words, hits[0], hits, texts) is None:
            missing.append(Unverified(words, None, INLINE_NOT_FOUND))
    return missing
