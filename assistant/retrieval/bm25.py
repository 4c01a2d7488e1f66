"""BM25 lexical index: built by the indexer, read back with numpy alone at query time.

On disk, ``settings.bm25_dir`` holds generations ``gen-<n>/`` and a ``CURRENT`` file naming the
live one, swapped atomically, so a reader never sees a half-written index. A generation holds
the sparse score matrix in bm25s's files (CSC, docs × vocab; built by ``bm25_matrix`` with
bm25s's numbers but streaming), its vocabulary, and ``chunks.jsonl`` with
``offsets.npy`` so a hit's chunk is read by one seek, without Chroma.

Neither building nor querying imports bm25s or scipy: a query term's column is a slice of the
saved arrays.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.retrieval.bm25_matrix import PARAMS, Matrix, MatrixBuilder
from assistant.text import tokens
from assistant.text.tokens import VERSION as TOKENIZER_VERSION
from assistant.text.tokens import terms
from assistant.types import Chunk

if TYPE_CHECKING:
    import numpy as np

CURRENT = "CURRENT"
HASH_KEY = "content_hash"
_KEEP_GENERATIONS = 2

TOKENIZER_FILE = "tokenizer.txt"


def tokenize(text: str) -> list[str]:
    """The shared terms (assistant.text.tokens), index and query alike; never empty-stringed."""
    return terms(text)


def document_terms(chunk: Chunk) -> list[str]:
    """What a chunk is indexed under: its article's title, then its own text.

    Past the tokenizer's cache, which is for sentences that recur question after question:
    a chunk is indexed once, and caching 100k chunk texts cost ~120 MB of the rebuild's peak.
    """
    text = f"{chunk.title}\n{chunk.text}" if chunk.title else chunk.text
    return tokens.terms(text, cache=False)


@dataclass(frozen=True, slots=True)
class Bm25Hit:
    chunk: Chunk
    score: float
    content_hash: str


# Building (indexer only)


def build(bm25_dir: Path, records: Iterable[tuple[Chunk, str]]) -> int:
    """Write a new generation from ``(chunk, content_hash)`` pairs and make it current.

    ``records`` is read once and may be a generator: each record is spilled to disk as it
    comes, and only its id, file position and its distinct term ids and counts (flat int32
    arrays, ``bm25_matrix``) stay in memory. Lists of term strings, later lists of term ids
    handed to bm25s, took the 100k-chunk ingest's peak to 1.26 GB, later 847 MB
    (bench/RESULTS.md).
    """
    bm25_dir.mkdir(parents=True, exist_ok=True)
    gen = bm25_dir / f"gen-{time.time_ns()}"
    gen.mkdir()
    builder = MatrixBuilder()
    order = _write_chunks(gen, _spill(gen / "unsorted.jsonl", records, builder))
    if order:
        _save_matrix(gen, builder.build(order))
    (gen / TOKENIZER_FILE).write_text(TOKENIZER_VERSION, encoding="utf-8")
    _fsync_dir(gen)
    tmp = bm25_dir / f"{CURRENT}.tmp"
    tmp.write_text(gen.name, encoding="utf-8")
    os.replace(tmp, bm25_dir / CURRENT)
    _drop_old_generations(bm25_dir, keep=gen.name)
    return len(order)


def _spill(
    path: Path, records: Iterable[tuple[Chunk, str]], builder: MatrixBuilder
) -> list[tuple[str, int]]:
    """Append each record's line to ``path`` and its terms to ``builder``; return
    ``(id, position)`` rows, document ``i`` of the builder being row ``i``."""
    rows = []
    with path.open("wb") as out:
        for chunk, content_hash in records:
            meta = {**chunk.metadata(), HASH_KEY: content_hash}
            line = json.dumps({"id": chunk.id, "text": chunk.text, "meta": meta})
            builder.add(document_terms(chunk) or [""])
            rows.append((chunk.id, out.tell()))
            out.write(line.encode("utf-8") + b"\n")
    return rows


def _save_matrix(gen: Path, matrix: Matrix) -> None:
    """The files bm25s would save for this matrix (``bm25s.BM25.load`` reads them too)."""
    import numpy as np

    np.save(gen / "data.csc.index.npy", matrix.data)
    np.save(gen / "indices.csc.index.npy", matrix.indices)
    np.save(gen / "indptr.csc.index.npy", matrix.indptr)
    (gen / "vocab.index.json").write_text(
        json.dumps(matrix.vocab, ensure_ascii=False), encoding="utf-8"
    )
    params = {**PARAMS, "num_docs": matrix.num_docs}
    (gen / "params.index.json").write_text(json.dumps(params, indent=4), encoding="utf-8")


def _write_chunks(gen: Path, rows: list[tuple[str, int]]) -> list[int]:
    """``chunks.jsonl`` and ``offsets.npy`` in chunk id order; returns that order (row ``r``
    of the matrix is spilled record ``order[r]``)."""
    import numpy as np

    order = sorted(range(len(rows)), key=lambda i: rows[i][0])
    offsets = _write_sorted(gen / "unsorted.jsonl", gen / "chunks.jsonl", rows, order)
    np.save(gen / "offsets.npy", np.asarray(offsets, dtype=np.int64))
    return order


def _write_sorted(
    spill: Path, dest: Path, rows: list[tuple[str, int]], order: list[int]
) -> list[int]:
    """Copy the spilled lines into ``dest``, ``rows`` in ``order``; return their offsets."""
    offsets = []
    with spill.open("rb") as src, dest.open("wb") as out:
        for i in order:
            src.seek(rows[i][1])
            offsets.append(out.tell())
            out.write(src.readline())
        out.flush()
        os.fsync(out.fileno())
    spill.unlink()
    return offsets


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _drop_old_generations(bm25_dir: Path, keep: str) -> None:
    """Keep the newest few: a reader that just read CURRENT may still be opening the last one."""
    gens = sorted(p for p in bm25_dir.glob("gen-*") if p.is_dir() and p.name != keep)
    for old in gens[: max(0, len(gens) - (_KEEP_GENERATIONS - 1))]:
        shutil.rmtree(old, ignore_errors=True)


def is_current(gen: Path) -> bool:
    """Whether a generation was built with today's tokenizer (an empty one always is)."""
    try:
        return (gen / TOKENIZER_FILE).read_text(encoding="utf-8").strip() == TOKENIZER_VERSION
    except FileNotFoundError:
        return not (gen / "vocab.index.json").exists()


def clear(bm25_dir: Path) -> None:
    shutil.rmtree(bm25_dir, ignore_errors=True)


# Querying (numpy only)


class Bm25Index:
    """One loaded generation: memory-mapped score columns plus lazily read chunk records."""

    def __init__(self, gen: Path) -> None:
        import numpy as np

        self.gen = gen
        self.offsets = np.load(gen / "offsets.npy")
        self.num_docs = len(self.offsets)
        self.vocab: dict[str, int] = {}
        if self.num_docs:
            self.data = np.load(gen / "data.csc.index.npy", mmap_mode="r")
            self.indices = np.load(gen / "indices.csc.index.npy", mmap_mode="r")
            self.indptr = np.load(gen / "indptr.csc.index.npy", mmap_mode="r")
            self.vocab = json.loads((gen / "vocab.index.json").read_text(encoding="utf-8"))

    def __len__(self) -> int:
        return self.num_docs

    def scores(self, query: str) -> np.ndarray:
        import numpy as np

        scores = np.zeros(self.num_docs, dtype=np.float32)
        for token in dict.fromkeys(tokenize(query)):
            col = self.vocab.get(token)
            if col is None or not token:
                continue
            lo, hi = int(self.indptr[col]), int(self.indptr[col + 1])
            scores[self.indices[lo:hi]] += self.data[lo:hi]
        return scores

    def search(
        self, query: str, n: int, accept: Callable[[Chunk], bool] | None = None
    ) -> list[Bm25Hit]:
        """The ``n`` best matching chunks that ``accept`` lets through, best first."""
        if not self.num_docs or n <= 0:
            return []
        scores = self.scores(query)
        hits: list[Bm25Hit] = []
        with (self.gen / "chunks.jsonl").open("rb") as fh:
            for doc in _best_first(scores, n):
                hit = self._read(fh, int(doc), float(scores[doc]))
                if accept is None or accept(hit.chunk):
                    hits.append(hit)
                    if len(hits) == n:
                        break
        return hits

    def _read(self, fh: Any, doc: int, score: float) -> Bm25Hit:
        fh.seek(int(self.offsets[doc]))
        rec = json.loads(fh.readline())
        chunk = Chunk.from_metadata(rec["id"], rec["text"], rec["meta"])
        return Bm25Hit(chunk, score, str(rec["meta"].get(HASH_KEY, "")))


def _best_first(scores: np.ndarray, n: int) -> Iterator[int]:
    """Matching docs by score, ties by position — as a stable argsort of all matches, but
    only the ``n`` best (and their ties) are sorted unless the caller reads past them: a
    full sort cost 6 ms a query at 100k chunks (bench/RESULTS.md)."""
    import numpy as np

    matched = np.flatnonzero(scores > 0)
    values = scores[matched]
    if len(matched) > n:
        cut = np.partition(values, len(values) - n)[len(values) - n]
        head, tail = matched[values >= cut], matched[values < cut]
    else:
        head, tail = matched, matched[:0]
    for part in (head, tail):
        yield from (int(d) for d in part[np.argsort(-scores[part], kind="stable")])


_cache: dict[Path, Bm25Index] = {}
_cache_lock = threading.Lock()


def load(bm25_dir: Path) -> Bm25Index | None:
    """The current generation, cached per process until the indexer publishes a new one."""
    try:
        name = (bm25_dir / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    gen = bm25_dir / name
    if not is_current(gen):
        return None  # built by another tokenizer: the indexer rebuilds it on the next ingest
    with _cache_lock:
        cached = _cache.get(bm25_dir)
        if cached is not None and cached.gen == gen:
            return cached
        index = Bm25Index(gen)
        _cache[bm25_dir] = index
        return index
