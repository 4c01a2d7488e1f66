"""Helpers for retrieval tests: a fast hashing embedder and generated articles."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import numpy as np


class HashEmbedder:
    """Bag of hashed words: similar wording gives similar vectors; no model, no downloads."""

    def __init__(self, name: str = "test-hash", dim: int = 64) -> None:
        self.name = name
        self.dim = dim

    def _one(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for w in re.findall(r"\w+", text.lower()):
            h = int.from_bytes(hashlib.blake2b(w.encode(), digest_size=4).digest(), "little")
            v[h % self.dim] += 1.0
        v[0] += 1e-3
        return v / np.linalg.norm(v)

    def embed_documents(self, texts: Any) -> np.ndarray:
        return np.stack([self._one(t) for t in texts]) if texts else np.zeros((0, self.dim))

    def embed_query(self, text: str) -> np.ndarray:
        return self._one(text)

    def count_tokens(self, texts: Any) -> list[int]:
        return [len(t.split()) for t in texts]


def write_articles(folder: Path, n: int, *, start: int = 0) -> list[Path]:
    """``n`` distinct Markdown articles ``gen_NNN.md`` with title/outlet/date front matter."""
    folder.mkdir(parents=True, exist_ok=True)
    topics = ["wheat harvest", "port strike", "solar tariff", "river flood", "chip export"]
    out = []
    for i in range(start, start + n):
        topic = topics[i % len(topics)]
        body = "\n\n".join(
            f"Officials in region {i % 3} described the {topic} in detail on day {j * 7 + i}. "
            f"This is paragraph {j} of story number {i}, and it continues the account of "
            f"the {topic} with figures that reporters checked."
            for j in range(6)
        )
        outlet = "Daily Planet" if i % 2 else "The Globe"
        front = f"title: Article {i} about the {topic}\noutlet: {outlet}\n"
        front += f"published: 2024-0{1 + i % 9}-1{i % 10}\n"
        path = folder / f"gen_{i:03d}.md"
        path.write_text(f"---\n{front}---\n\n{body}\n", encoding="utf-8")
        out.append(path)
    return out


def article_id(i: int) -> str:
    return f"gen_{i:03d}.md"
