"""Incremental ingest: bring the index in line with a set of files, safely.

Crash safety comes from the order of writes. For each batch of articles, their chunks are
first replaced in Chroma (stable ids, upserted), then each article's catalog row is committed
with the file's hash. The catalog row is what says "this version is indexed", so a run killed
anywhere leaves an index that answers, and the next run redoes every article whose row does
not match its file. The BM25 index is derived data: a flag set before any write and cleared
after BM25 is rebuilt makes the next run rebuild it if this one died.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from assistant.errors import ModelMismatchError, StoreBusyError
from assistant.files import private_dir
from assistant.retrieval import bm25
from assistant.retrieval.catalog import META_DIM, META_MODEL, Catalog
from assistant.retrieval.chroma_store import ChromaStore
from assistant.settings import Settings

if TYPE_CHECKING:
    import numpy as np

    from assistant.ingest.prepare import Prepared
    from assistant.types import Chunk

Progress = Callable[[int, int, str], None]
"""``progress(files_done, files_total, current_file_name)``."""

EMBED_BATCH = 256
META_CHUNKING = "chunking"


class DocumentEmbedder(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: list[str] = field(default_factory=list)
    articles: int = 0
    chunks: int = 0
    seconds: float = 0.0
    bm25_rebuilt: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        if not self.changed and not self.failed:
            return f"No changes: {self.unchanged} articles unchanged."
        return (
            f"{self.articles} articles ({self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.removed} removed), {self.chunks} chunks, "
            f"{len(self.failed)} failed, {self.seconds:.1f} s"
        )

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "changed": self.changed}


@contextmanager
def ingest_lock(settings: Settings) -> Iterator[None]:
    """One ingest per data dir; a second one fails at once instead of queueing."""
    private_dir(settings.data_dir)
    fd = os.open(settings.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise StoreBusyError(
            f"another ingest is running on {settings.data_dir} (pid {holder})"
        ) from None
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def sync(
    paths: Sequence[Path],
    settings: Settings,
    *,
    rebuild: bool = False,
    prune: bool = False,
    progress: Progress | None = None,
    embedder: DocumentEmbedder | None = None,
) -> IngestReport:
    """Index new and changed files, keep unchanged ones untouched, optionally prune or rebuild."""
    started = time.perf_counter()
    with ingest_lock(settings):
        if embedder is None:
            from assistant.retrieval.embeddings import make_embedder

            embedder = make_embedder(settings)
        catalog = Catalog(settings.index_db)
        try:
            run = _Run(settings, catalog, ChromaStore(settings), embedder, progress)
            report = run.execute(paths, rebuild=rebuild, prune=prune)
        finally:
            catalog.close()
    report.seconds = time.perf_counter() - started
    return report


class _Run:
    def __init__(
        self,
        settings: Settings,
        catalog: Catalog,
        store: ChromaStore,
        embedder: DocumentEmbedder,
        progress: Progress | None,
    ) -> None:
        self.settings = settings
        self.catalog = catalog
        self.store = store
        self.embedder = embedder
        self.progress = progress or (lambda done, total, name: None)
        self.report = IngestReport()

    def execute(self, paths: Sequence[Path], *, rebuild: bool, prune: bool) -> IngestReport:
        from assistant.ingest.loaders import discover

        if rebuild:
            self._reset()
        self._check_model()
        found, errors = discover(list(paths))
        self.report.failed.extend(str(e) for e in errors)
        files = [(Path(os.path.realpath(path)), article_id) for path, article_id in found]
        todo, gone = self._plan(files, prune)
        if todo or gone:
            self.catalog.mark_bm25_dirty(True)
        self.store.open_for_writing(self.embedder.name, self.embedder.dim)
        self.catalog.set_meta(META_MODEL, self.embedder.name)
        self.catalog.set_meta(META_DIM, str(self.embedder.dim))
        self._index(todo, done=len(files) - len(todo), total=len(files))
        self.catalog.set_meta(META_CHUNKING, self._chunking_key())  # only once all are redone
        for article_id in gone:
            self.store.delete_article(article_id)
            self.catalog.remove(article_id)
            self.report.removed += 1
        if self.catalog.bm25_dirty or bm25.load(self.settings.bm25_dir) is None:
            self._rebuild_bm25()
        stats = self.catalog.stats()
        self.report.articles, self.report.chunks = stats["articles"], stats["chunks"]
        return self.report

    def _reset(self) -> None:
        self.catalog.clear()
        self.store.drop()
        bm25.clear(self.settings.bm25_dir)

    def _check_model(self) -> None:
        built = self.catalog.embedding_model
        if built is not None and built != self.embedder.name:
            raise ModelMismatchError(
                f"index was built with {built}; this run uses {self.embedder.name}"
                " — run `assistant ingest --rebuild`"
            )
        self.store.check_model(self.embedder.name)

    def _chunking_key(self) -> str:
        """Chunks depend on these too: a change re-indexes every file."""
        chunking = self.settings.chunking
        return json.dumps({"size": chunking.chunk_size, "overlap": chunking.chunk_overlap})

    def _plan(
        self, files: list[tuple[Path, str]], prune: bool
    ) -> tuple[list[tuple[Path, str, str, bool]], list[str]]:
        """Files to (re)index as ``(path, id, hash, is_new)``, and article ids to prune."""
        from assistant.ingest.loaders import LoadError
        from assistant.ingest.prepare import content_hash

        known = self.catalog.hashes()
        paths = self.catalog.paths()
        same_chunking = self.catalog.get_meta(META_CHUNKING) in (None, self._chunking_key())
        todo = []
        for path, article_id in files:
            try:
                digest = content_hash(path)
            except LoadError as err:
                self.report.failed.append(str(err))
                continue
            except OSError as err:
                self.report.failed.append(f"{path}: {err.strerror or err}")
                continue
            if known.get(article_id) == digest and same_chunking:
                self.report.unchanged += 1
                if paths.get(article_id) != str(path):
                    self.catalog.set_path(article_id, str(path))
                continue
            todo.append((path, article_id, digest, article_id not in known))
        seen = {article_id for _, article_id in files}
        gone = [
            article_id
            for article_id, stored in sorted(paths.items())
            if prune and article_id not in seen and _missing(stored)
        ]
        return todo, gone

    def _index(self, todo: list[tuple[Path, str, str, bool]], done: int, total: int) -> None:
        """Prepare files in order, embed their chunks in batches, write article by article."""
        from assistant.ingest.loaders import LoadError
        from assistant.ingest.prepare import prepare

        batch: list[tuple[Prepared, str, bool]] = []
        pending = 0
        for path, article_id, digest, is_new in todo:
            self.progress(done, total, path.name)
            try:
                prepared = prepare(path, article_id, self.settings)
            except LoadError as err:
                self.report.failed.append(str(err))
            except Exception as err:  # a bug in one file's handling must not stop the run
                self.report.failed.append(f"{path}: {type(err).__name__}: {err}")
            else:
                batch.append((prepared, digest, is_new))
                pending += len(prepared.chunks)
                if pending >= EMBED_BATCH:
                    self._write(batch)
                    batch, pending = [], 0
            done += 1
        self._write(batch)
        self.progress(total, total, "")

    def _write(self, batch: list[tuple[Prepared, str, bool]]) -> None:
        """Chunks of the whole batch into Chroma first, then each article's catalog row."""
        if not batch:
            return
        texts = [c.text for p, _, _ in batch for c in p.chunks]
        vectors = self.embedder.embed_documents(texts) if texts else _empty(self.embedder.dim)
        self.store.replace_articles([(p.article.id, p.chunks, d) for p, d, _ in batch], vectors)
        for prepared, digest, is_new in batch:
            article = dataclasses.replace(prepared.article, content_hash=digest)
            self.catalog.put(article, prepared.text, len(prepared.chunks))
            if is_new:
                self.report.added += 1
            else:
                self.report.updated += 1

    def _rebuild_bm25(self) -> None:
        """Rebuild from what Chroma holds, keeping only chunks of catalogued versions.

        Chunks stream from Chroma into ``bm25.build`` (holding them all cost ~5 KB a chunk);
        orphans are deleted after the pass, not during it, so the paging stays valid.
        """
        known = self.catalog.hashes()
        orphans: set[str] = set()

        def current() -> Iterator[tuple[Chunk, str]]:
            for chunk, digest in self.store.iter_chunks():
                if chunk.article_id not in known:
                    orphans.add(chunk.article_id)
                elif known[chunk.article_id] == digest:
                    yield chunk, digest

        bm25.build(self.settings.bm25_dir, current())
        for article_id in sorted(orphans):
            self.store.delete_article(article_id)
        self.catalog.mark_bm25_dirty(False)
        self.report.bm25_rebuilt = True


def _missing(stored: str) -> bool:
    """Only an absolute path can be checked: rows from before paths were stored resolved
    hold paths relative to some earlier working directory, and are kept until re-ingested."""
    path = Path(stored)
    return path.is_absolute() and not path.exists()


def _empty(dim: int) -> np.ndarray:
    import numpy as np

    return np.zeros((0, dim), dtype=np.float32)
