"""Incremental ingest: bring the index in line with a set of files, safely.

Crash safety comes from the order of writes. For each batch of articles, their new chunks
are written to Chroma beside the old version's (a chunk's id names its version), then each
article's catalog row is committed with the file's hash, then the old version's chunks are
deleted. The catalog row is what says "this version is indexed", so a run killed anywhere
leaves every catalogued article answering, and the next run redoes every article whose row
does not match its file. The BM25 index is derived data: a flag set before any write and
cleared after BM25 is rebuilt makes the next run rebuild it if this one died.

Each index owns its Chroma collection: named in the catalog, tagged with the catalog's index
id, so two data dirs on one Chroma server never touch each other's vectors (docs/scaling.md).
``--rebuild`` builds a new collection and catalog aside and swaps them in with one commit.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from assistant.errors import ModelMismatchError, StoreBusyError
from assistant.files import private_dir
from assistant.retrieval import bm25
from assistant.retrieval.catalog import (
    META_COLLECTION,
    META_DIM,
    META_INDEX_ID,
    META_MODEL,
    Catalog,
)
from assistant.retrieval.chroma_store import ChromaStore, collection_for
from assistant.settings import Settings

if TYPE_CHECKING:
    from concurrent.futures import Future

    import numpy as np

    from assistant.ingest.prepare import Prepared
    from assistant.types import Chunk

Progress = Callable[[int, int, str], None]
"""``progress(files_done, files_total, current_file_name)``."""

EMBED_BATCH = 256
PREFETCH = 16
"""Files read, cleaned and chunked ahead of the one being embedded (0: one after another)."""
META_CHUNKING = "chunking"
META_REBUILD = "rebuild_collection"
META_DROP = "drop_collection"


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
    repaired: int = 0
    failed: list[str] = field(default_factory=list)
    articles: int = 0
    chunks: int = 0
    seconds: float = 0.0
    bm25_rebuilt: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.repaired)

    def summary(self) -> str:
        if not self.changed and not self.failed:
            return f"No changes: {self.unchanged} articles unchanged."
        repaired = f", {self.repaired} repaired" if self.repaired else ""
        return (
            f"{self.articles} articles ({self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.removed} removed{repaired}), {self.chunks} "
            f"chunks, {len(self.failed)} failed, {self.seconds:.1f} s"
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


def ingest_running(settings: Settings) -> bool:
    """Whether an ingest holds the lock right now (its writes may be half way)."""
    try:
        fd = os.open(settings.lock_file, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases a shared lock we got
    return False


def sync(
    paths: Sequence[Path],
    settings: Settings,
    *,
    rebuild: bool = False,
    prune: bool = False,
    repair: bool = False,
    progress: Progress | None = None,
    embedder: DocumentEmbedder | None = None,
) -> IngestReport:
    """Index new and changed files, keep unchanged ones untouched, optionally prune or rebuild.

    Every run also checks the vector store against the catalog and re-chunks, from the
    catalog's own text, any article whose chunks went missing (``repair`` checks every
    article; otherwise only when the store holds fewer chunks than the catalog lists).
    """
    started = time.perf_counter()
    with ingest_lock(settings):
        if embedder is None:
            from assistant.retrieval.embeddings import make_embedder

            embedder = make_embedder(settings)
        _remove_db(staging_db(settings))
        catalog = Catalog(settings.index_db)
        try:
            index_id = str(catalog.index_id(create=True))
            _finish_swaps(settings, catalog, index_id)
            if rebuild:
                report = _rebuild(paths, settings, catalog, index_id, embedder, progress)
            else:
                name = collection_for(settings, catalog.collection_name(), index_id)
                store = ChromaStore(settings, name=name)
                run = _Run(settings, catalog, store, embedder, progress, index_id)
                report = run.execute(paths, prune=prune, repair=repair)
        finally:
            catalog.close()
    report.seconds = time.perf_counter() - started
    return report


def staging_db(settings: Settings) -> Path:
    return settings.data_dir / "index.rebuild.sqlite3"


def _rebuild(
    paths: Sequence[Path],
    settings: Settings,
    main: Catalog,
    index_id: str,
    embedder: DocumentEmbedder,
    progress: Progress | None,
) -> IngestReport:
    """Build a whole new index aside (catalog file, collection), then swap it in with one
    catalog transaction: a run killed before the swap leaves the old index answering, and
    the next run drops the half-built collection."""
    old = main.collection_name()
    base = collection_for(settings, None, index_id)
    ChromaStore(settings, name=base).check_owner(index_id)  # a name another index took
    new = f"{base}--{time.time_ns():x}"
    main.mark_bm25_dirty(True)  # the new BM25 generation is published before the swap
    main.set_meta(META_REBUILD, new)
    staging = Catalog(staging_db(settings))
    try:
        staging.set_meta(META_INDEX_ID, index_id)
        run = _Run(settings, staging, ChromaStore(settings, name=new), embedder, progress, index_id)
        report = run.execute(paths, prune=False, repair=False)
    finally:
        staging.close()
    main.adopt(staging_db(settings), {META_DROP: old} if old and old != new else {})
    _remove_db(staging_db(settings))
    _finish_swaps(settings, main, index_id)
    return report


def _finish_swaps(settings: Settings, catalog: Catalog, index_id: str) -> None:
    """Drop the collections a rebuild left behind: the half-built one of a killed rebuild,
    or the old one after a swap — only if this index made them."""
    current = catalog.collection_name()
    for key in (META_REBUILD, META_DROP):
        name = catalog.get_meta(key)
        if name is None:
            continue
        if name != current:
            store = ChromaStore(settings, name=name)
            if settings.store.mode == "embedded" or store.owner() == index_id:
                store.drop()
        catalog.delete_meta(key)


def _remove_db(path: Path) -> None:
    for extra in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{extra}").unlink(missing_ok=True)


class _Run:
    def __init__(
        self,
        settings: Settings,
        catalog: Catalog,
        store: ChromaStore,
        embedder: DocumentEmbedder,
        progress: Progress | None,
        index_id: str,
    ) -> None:
        self.settings = settings
        self.catalog = catalog
        self.store = store
        self.embedder = embedder
        self.progress = progress or (lambda done, total, name: None)
        self.index_id = index_id
        self.report = IngestReport()
        self._at = (0, 0)  # files done / total, for progress notes while a batch embeds

    def execute(self, paths: Sequence[Path], *, prune: bool, repair: bool) -> IngestReport:
        from assistant.ingest.loaders import discover

        self._check_model()
        self.store.check_owner(self.index_id)
        found, errors = discover(list(paths)) if paths else ([], [])
        self.report.failed.extend(str(e) for e in errors)
        files = [(Path(os.path.realpath(path)), article_id) for path, article_id in found]
        todo, gone = self._plan(files, prune)
        damaged = [a for a in self._damaged(repair) if a not in {t[1] for t in todo}]
        if todo or gone or damaged or repair:
            self.catalog.mark_bm25_dirty(True)
        self.store.open_for_writing(self.embedder.name, self.embedder.dim, self.index_id)
        self.catalog.set_meta(META_COLLECTION, self.store.name)
        self.catalog.set_meta(META_MODEL, self.embedder.name)
        self.catalog.set_meta(META_DIM, str(self.embedder.dim))
        self._index(todo, done=len(files) - len(todo), total=len(files))
        self._repair(damaged)
        self.catalog.set_meta(META_CHUNKING, self._chunking_key())  # only once all are redone
        for article_id in gone:  # catalog first: a kill between leaves orphans, not holes
            self.catalog.remove(article_id)
            self.store.delete_article(article_id)
            self.report.removed += 1
        if self.catalog.bm25_dirty or bm25.load(self.settings.bm25_dir) is None:
            self._rebuild_bm25()
        stats = self.catalog.stats()
        self.report.articles, self.report.chunks = stats["articles"], stats["chunks"]
        return self.report

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
        return json.dumps(
            {"size": chunking.chunk_size, "overlap": chunking.chunk_overlap}
        )

    def _damaged(self, check_all: bool) -> list[str]:
        """Catalogued articles whose current chunks are not all in the store.

        The count is one call; each article is checked only when the count falls short (the
        store was deleted, emptied or lost writes) or when ``check_all`` asks for it.
        """
        stats = self.catalog.stats()
        if not stats["articles"] or (not check_all and self.store.count() >= stats["chunks"]):
            return []
        expected = {a.id: (a.content_hash, n) for a, n in self.catalog.list_articles()}
        have: dict[str, set[int]] = {}
        for rec in self.store.iter_records():
            want = expected.get(rec.article_id)
            if want is not None and want[0] == rec.content_hash and 0 <= rec.index < want[1]:
                have.setdefault(rec.article_id, set()).add(rec.index)
        return sorted(a for a, (_, n) in expected.items() if len(have.get(a, ())) < n)

    def _repair(self, article_ids: list[str]) -> None:
        """Re-chunk damaged articles from the catalog's text: their file may be gone."""
        batch: list[tuple[Prepared, str, str]] = []
        for article_id in article_ids:
            prepared = self._from_catalog(article_id)
            if prepared is None:
                continue
            batch.append((prepared, prepared.article.content_hash, "repaired"))
            if sum(len(p.chunks) for p, _, _ in batch) >= EMBED_BATCH:
                self._write(batch)
                batch = []
        self._write(batch)

    def _from_catalog(self, article_id: str) -> Prepared | None:
        from assistant.ingest.chunking import chunk_article
        from assistant.ingest.cleaning import clean
        from assistant.ingest.prepare import Prepared

        article, text = self.catalog.article(article_id), self.catalog.article_text(article_id)
        if article is None or text is None:
            return None
        kept, dropped = clean(text, article)
        size, overlap = self.settings.chunking.chunk_size, self.settings.chunking.chunk_overlap
        chunks = chunk_article(article, text, kept, size, overlap)
        if not chunks:
            self.report.failed.append(f"{article.path}: cannot repair: no text to chunk")
            return None
        return Prepared(article, text, chunks, dropped)

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
        batch: list[tuple[Prepared, str, str]] = []
        pending = 0
        for (path, _, digest, is_new), prepared in self._prepared(todo):
            self._at = (done, total)
            self.progress(done, total, path.name)
            if isinstance(prepared, str):
                self.report.failed.append(prepared)
            else:
                batch.append((prepared, digest, "added" if is_new else "updated"))
                pending += len(prepared.chunks)
                if pending >= EMBED_BATCH:
                    self._write(batch)
                    batch, pending = [], 0
            done += 1
        self._write(batch)
        self.progress(total, total, "")

    def _embed(self, texts: list[str], name: str) -> np.ndarray:
        """Vectors for ``texts`` in slices of EMBED_BATCH: a huge file (thousands of chunks)
        reports its progress while it embeds instead of going silent for minutes."""
        if len(texts) <= EMBED_BATCH:
            return self.embedder.embed_documents(texts) if texts else _empty(self.embedder.dim)
        import numpy as np

        done, total = self._at
        parts = []
        for lo in range(0, len(texts), EMBED_BATCH):
            self.progress(done, total, f"{name}: embedding chunks {lo:,}/{len(texts):,}")
            parts.append(self.embedder.embed_documents(texts[lo : lo + EMBED_BATCH]))
        return np.concatenate(parts)

    def _prepared(
        self, todo: list[tuple[Path, str, str, bool]]
    ) -> Iterator[tuple[tuple[Path, str, str, bool], Prepared | str]]:
        """Each file prepared (or why not), in order; a thread reads, cleans and chunks up to
        ``PREFETCH`` files ahead while the caller embeds (onnxruntime releases the GIL)."""
        from concurrent.futures import ThreadPoolExecutor

        if PREFETCH <= 0:
            yield from ((item, self._prepare_one(item)) for item in todo)
            return
        window: deque[tuple[tuple[Path, str, str, bool], Future[Prepared | str]]] = deque()
        with ThreadPoolExecutor(1, thread_name_prefix="ingest-prepare") as pool:
            try:
                for item in todo:
                    window.append((item, pool.submit(self._prepare_one, item)))
                    if len(window) > PREFETCH:
                        head, future = window.popleft()
                        yield head, future.result()
                while window:
                    head, future = window.popleft()
                    yield head, future.result()
            finally:
                for _, future in window:
                    future.cancel()

    def _prepare_one(self, item: tuple[Path, str, str, bool]) -> Prepared | str:
        from assistant.ingest.loaders import LoadError
        from assistant.ingest.prepare import prepare

        path, article_id = item[0], item[1]
        try:
            return prepare(path, article_id, self.settings)
        except LoadError as err:
            return str(err)
        except Exception as err:  # a bug in one file's handling must not stop the run
            return f"{path}: {type(err).__name__}: {err}"

    def _write(self, batch: list[tuple[Prepared, str, str]]) -> None:
        """New chunks beside the old, then each article's catalog row, then the old chunks out.

        Until its row commits, an article answers from its old version; after, from the new.
        A kill anywhere leaves every catalogued article's chunks in place.
        """
        if not batch:
            return
        texts = [c.text for p, _, _ in batch for c in p.chunks]
        vectors = self._embed(texts, batch[-1][0].article.id)
        entries = [(p.article.id, p.chunks, d) for p, d, _ in batch]
        self.store.put_articles(entries, vectors)
        for prepared, digest, kind in batch:
            article = dataclasses.replace(prepared.article, content_hash=digest)
            self.catalog.put(article, prepared.text, len(prepared.chunks))
            setattr(self.report, kind, getattr(self.report, kind) + 1)
        self.store.drop_stale(entries)

    def _rebuild_bm25(self) -> None:
        """Rebuild from what Chroma holds, keeping only the catalogued versions' chunks.

        Chunks stream from Chroma into ``bm25.build`` (holding them all cost ~5 KB a chunk);
        leftovers of killed runs (other versions, unknown articles, duplicates) are deleted
        by id after the pass, not during it, so the paging stays valid.
        """
        known = {a.id: (a.content_hash, n) for a, n in self.catalog.list_articles()}
        orphans: list[str] = []
        seen: set[tuple[str, int]] = set()

        def current() -> Iterator[tuple[Chunk, str]]:
            for chunk, digest in self.store.iter_chunks():
                want = known.get(chunk.article_id)
                key = (chunk.article_id, chunk.index)
                if want is None or want[0] != digest or chunk.index >= want[1] or key in seen:
                    orphans.append(chunk.id)
                    continue
                seen.add(key)
                yield chunk, digest

        bm25.build(self.settings.bm25_dir, current())
        self.store.delete_ids(orphans)
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
