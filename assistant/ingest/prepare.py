"""One file → its article, text and chunks: the whole of ingest for one file, no storage."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from assistant.ingest.chunking import chunk_article
from assistant.ingest.cleaning import Span, clean
from assistant.ingest.loaders import LoadError, content_hash, load
from assistant.ingest.metadata import extract_metadata
from assistant.settings import Settings
from assistant.text.dates import article_date, dated_fields
from assistant.types import Article, Chunk

__all__ = ["Prepared", "content_hash", "max_bytes", "prepare"]


@dataclass(frozen=True)
class Prepared:
    article: Article
    text: str
    chunks: list[Chunk]
    dropped: list[tuple[Span, str]]


def max_bytes(settings: Settings) -> int:
    return int(settings.chunking.max_file_mb * 1024 * 1024)


def prepare(path: Path, article_id: str, settings: Settings) -> Prepared:
    """Load, read metadata, clean and chunk one file; raises ``LoadError`` for unusable files."""
    doc = load(path, article_id, max_bytes(settings))
    article = extract_metadata(doc)
    article = replace(
        article, **dated_fields(article_date(article.published, article.updated, doc.text))
    )
    kept, dropped = clean(doc.text, article)
    size, overlap = settings.chunking.chunk_size, settings.chunking.chunk_overlap
    chunks = chunk_article(article, doc.text, kept, size, overlap)
    if not chunks:
        raise LoadError(path, "no article text left after cleaning")
    return Prepared(article, doc.text, chunks, dropped)
