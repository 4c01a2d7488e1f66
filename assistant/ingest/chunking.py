"""Kept text → chunks of about ``size`` characters, each a verbatim slice of the article.

Each block (a run of kept paragraphs with nothing dropped between them) is split on its own
into whole sentences of the one shared splitter (assistant.text.sentences), packed up to the
target size, so no chunk spans dropped material and every chunk starts and ends on a sentence
boundary. Offsets are found by searching forward from the previous chunk's
start, which stays right when the same words occur twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from assistant.ingest.cleaning import Span
from assistant.text.sentences import sentence_spans
from assistant.types import Article, Chunk, chunk_id

if TYPE_CHECKING:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

VERSION = "sentences-1"  # a change here re-chunks every article (the indexer records it)
# Inside one over-long sentence (a list, a table row) the splitter falls back to these.
SEPARATORS = [r"[;；]\s+", r"[,，]\s+", r"\s+"]


def chunk_article(
    article: Article, text: str, kept: Sequence[Span], size: int, overlap: int
) -> list[Chunk]:
    """Chunks with stable ids and the article's metadata; ``text[c.start:c.end] == c.text``."""
    overlap = min(overlap, size // 2)
    chunks: list[Chunk] = []
    for block in blocks(text, kept):
        for start, end in _pack(text, block, size, overlap):
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


def _pack(text: str, block: Span, size: int, overlap: int) -> Iterator[tuple[int, int]]:
    """Whole sentences (the shared splitter's) packed into chunks of at most ``size``
    characters; the next chunk repeats the last sentences that fit in ``overlap``. A chunk
    ends early at a paragraph break once it is half full. Only a sentence longer than
    ``size`` is cut, by the recursive splitter."""
    sentences: list[tuple[int, int]] = []
    for s, e in sentence_spans(text, block.start, block.end):
        if e - s <= size:
            sentences.append((s, e))
        else:
            sentences.extend(_split(_splitter(size, overlap), text, Span(s, e)))
    i = 0
    while i < len(sentences):
        j = i + 1
        while j < len(sentences) and sentences[j][1] - sentences[i][0] <= size:
            if "\n\n" in text[sentences[j - 1][1] : sentences[j][0]] and (
                sentences[j - 1][1] - sentences[i][0] >= size // 2
            ):
                break
            j += 1
        yield sentences[i][0], sentences[j - 1][1]
        if j >= len(sentences):
            return
        back = j
        while back - 1 > i and sentences[j - 1][1] - sentences[back - 1][0] <= overlap:
            back -= 1
        i = back


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
