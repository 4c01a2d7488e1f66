"""Kept text → chunks of about ``size`` characters, each a verbatim slice of the article.

Each block (a run of kept paragraphs with nothing dropped between them) is split on its own
with LangChain's recursive splitter, preferring paragraph, line and sentence ends, so no chunk
spans dropped material. Offsets are found by searching forward from the previous chunk's
start, which stays right when the same words occur twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from assistant.ingest.cleaning import Span
from assistant.types import Article, Chunk, chunk_id

if TYPE_CHECKING:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

# A period ends a sentence unless it follows a title or an initial/acronym (Mr., U.S., a.m.);
# "Sep." and "No." are spared when a number follows.
_TITLES = ("Mr", "Mrs", "Ms", "Dr", "Prof", "St", "Sen", "Rep", "Gov", "Gen", "Col", "vs")
_NOT_AFTER = "".join(rf"(?<!\b{word})" for word in _TITLES)
_NUMBERED = "|".join(rf"(?<=\b{word}\.)" for word in ("No", "Vol", "Fig", "Sep", "Sept"))
_SENTENCE_END = (
    rf"(?:[?!…]+|\.{{2,}}|{_NOT_AFTER}(?<!\b[A-Z])(?<!\.[a-z])\.(?!(?:{_NUMBERED})\s+\d))"
    r"[\"'”’»)\]]*\s+(?=[^\sa-z])"
)
SEPARATORS = [r"\n\s*\n", r"\n", _SENTENCE_END, r"[;；]\s+", r"[,，]\s+", r"\s+"]


def chunk_article(
    article: Article, text: str, kept: Sequence[Span], size: int, overlap: int
) -> list[Chunk]:
    """Chunks with stable ids and the article's metadata; ``text[c.start:c.end] == c.text``."""
    splitter = _splitter(size, min(overlap, size // 2))
    chunks: list[Chunk] = []
    for block in blocks(text, kept):
        for start, end in _split(splitter, text, block):
            index = len(chunks)
            chunks.append(
                Chunk(
                    id=chunk_id(article.id, index),
                    article_id=article.id,
                    index=index,
                    text=text[start:end],
                    start=start,
                    end=end,
                    title=article.title,
                    outlet=article.outlet,
                    published=article.date,
                )
            )
    return chunks


def blocks(text: str, kept: Sequence[Span]) -> list[Span]:
    """Maximal runs of kept spans separated only by whitespace (so nothing dropped between)."""
    merged: list[Span] = []
    for span in sorted(kept):
        if merged and not text[merged[-1].end : span.start].strip():
            merged[-1] = Span(merged[-1].start, max(merged[-1].end, span.end))
        else:
            merged.append(span)
    return merged


def _split(
    splitter: RecursiveCharacterTextSplitter, text: str, block: Span
) -> Iterator[tuple[int, int]]:
    cursor = block.start
    for piece in splitter.split_text(text[block.start : block.end]):
        at = text.find(piece, cursor, block.end)
        if at < 0:
            raise RuntimeError(f"chunk not found in its block {block}: {piece[:60]!r}")
        yield at, at + len(piece)
        cursor = at + 1


@lru_cache(maxsize=8)
def _splitter(size: int, overlap: int) -> RecursiveCharacterTextSplitter:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        chunk_size=size,
        chunk_overlap=overlap,
        separators=SEPARATORS,
        is_separator_regex=True,
        keep_separator="end",
        strip_whitespace=True,
    )
