"""A deterministic corpus of any size, built from the seed articles' own sentences.

Each generated article is a Markdown file with front matter (synthetic id, outlet, date) and
paragraphs of shuffled seed sentences, each paragraph short enough (≤ 650 characters) that the
real chunker makes about one ~600-character chunk of it. Questions about the seeds therefore
still find their words, among many distractors. ``ComposedEmbedder`` gives each chunk the
normalised mean of its sentences' real MiniLM vectors (embedded once), so a 100k-chunk store
can be built through the real indexer without an hour of embedding.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from assistant.settings import Settings

OUTLETS = (
    "Global Times",
    "China Daily",
    "Xinhua",
    "Reuters",
    "Associated Press",
    "The Guardian",
    "South China Morning Post",
    "Nikkei Asia",
)
PARAGRAPHS_PER_ARTICLE = 10
PARAGRAPH_CHARS = (520, 690)


def seed_sentences(settings: Settings) -> list[str]:
    """Distinct sentences of the seeds' kept text (what the real chunker would index)."""
    from assistant.ingest.prepare import prepare
    from assistant.text.sentences import sentence_spans

    seen: dict[str, None] = {}
    for path in sorted(settings.seeds_dir.iterdir()):
        if path.suffix not in {".txt", ".md", ".html"}:
            continue
        prepared = prepare(path, path.name, settings)
        for chunk in prepared.chunks:
            for lo, hi in sentence_spans(chunk.text):
                sentence = " ".join(chunk.text[lo:hi].split())
                if 30 <= len(sentence) <= PARAGRAPH_CHARS[1]:
                    seen.setdefault(sentence, None)
    return list(seen)


def _paragraph(rng: random.Random, sentences: Sequence[str]) -> str:
    target = rng.randint(*PARAGRAPH_CHARS)
    parts: list[str] = []
    size = 0
    while True:
        s = sentences[rng.randrange(len(sentences))]
        if parts and size + 1 + len(s) > PARAGRAPH_CHARS[1]:
            break
        parts.append(s)
        size += len(s) + (1 if len(parts) > 1 else 0)
        if size >= target:
            break
    return " ".join(parts)


def articles(
    sentences: Sequence[str], n_chunks: int, seed: int = 0
) -> Iterator[tuple[str, str]]:
    """``(file name, Markdown text)`` for about ``n_chunks`` chunks; the same for the same seed."""
    rng = random.Random(seed)
    n_articles = max(1, round(n_chunks / PARAGRAPHS_PER_ARTICLE))
    for i in range(n_articles):
        paragraphs = [_paragraph(rng, sentences) for _ in range(PARAGRAPHS_PER_ARTICLE)]
        outlet = OUTLETS[rng.randrange(len(OUTLETS))]
        day = f"20{rng.randint(19, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        title = paragraphs[0].split(". ")[0][:90].replace('"', "'")
        head = f'---\ntitle: "{title}"\noutlet: {outlet}\npublished: {day}\n---\n\n'
        yield f"gen{seed}-{i:07d}.md", head + "\n\n".join(paragraphs) + "\n"


def write_corpus(dest: Path, sentences: Sequence[str], n_chunks: int, seed: int = 0) -> int:
    """Write the articles under ``dest`` (1,000 files a folder); returns how many."""
    count = 0
    for count, (name, text) in enumerate(articles(sentences, n_chunks, seed), start=1):
        folder = dest / f"part-{(count - 1) // 1000:04d}"
        if (count - 1) % 1000 == 0:
            folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return count


class ComposedEmbedder:
    """Chunk vector = normalised mean of the real vectors of the seed sentences it holds.

    It carries the real embedder's name, so the index it builds is queried by the real model.
    A chunk with no whole known sentence (rare: a split paragraph) borrows one sentence's
    vector, picked by a hash of its text.
    """

    def __init__(self, name: str, sentences: Sequence[str], vectors: np.ndarray) -> None:
        self.name = name
        self.dim = int(vectors.shape[1])
        self._index = {s: i for i, s in enumerate(sentences)}
        self._vectors = vectors.astype(np.float32)
        self.composed = 0
        self.borrowed = 0

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        from assistant.text.sentences import sentence_spans

        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            rows = [
                self._index[key]
                for lo, hi in sentence_spans(text)
                if (key := " ".join(text[lo:hi].split())) in self._index
            ]
            if rows:
                self.composed += 1
                vector = self._vectors[rows].mean(axis=0)
            else:
                self.borrowed += 1
                vector = self._vectors[zlib.crc32(text.encode()) % len(self._vectors)]
            out[row] = vector / max(float(np.linalg.norm(vector)), 1e-12)
        return out
