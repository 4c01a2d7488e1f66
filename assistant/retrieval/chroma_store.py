"""The Chroma side of the index: client (embedded or server), writes, dense queries.

Writes go through langchain-chroma; queries use the native collection, because importing
langchain-chroma (and langsmith behind it) would cost the single-question command most of a
second. Vectors are always computed by our embedder and handed over, so Chroma's own default
embedding function (which downloads a model) is never used.
"""

from __future__ import annotations

import contextlib
import functools
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from assistant.errors import ModelMismatchError, StoreConflictError, StoreUnreachableError
from assistant.files import private_dir
from assistant.settings import Settings
from assistant.types import Chunk, Filters

if TYPE_CHECKING:
    import numpy as np
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

MODEL_KEY = "embedding_model"
DIM_KEY = "embedding_dim"
HASH_KEY = "content_hash"
OUTLET_KEY = "outlet_key"
DAY_KEY = "day"
OWNER_KEY = "index_id"
_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")
_PAGE = 500
"""Rows a paged read asks for. The embedded client's resident memory grows with the pages it
serves: reading a 10k-chunk collection's texts and metadata in pages of 2,000 took a process
from 128 to 224 MB, in pages of 500 to 147 MB (bench/RESULTS.md)."""
F = TypeVar("F", bound=Callable[..., Any])


def make_client(settings: Settings) -> ClientAPI:
    """An embedded client on ``settings.chroma_dir`` or an HTTP client for ``chroma run``."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    store = settings.store
    if store.mode == "embedded":
        private_dir(settings.data_dir)
        settings.chroma_dir.mkdir(exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
    token = store.token.get_secret_value()
    with _server_errors(settings):
        return chromadb.HttpClient(
            host=store.host,
            port=store.port,
            ssl=store.ssl,
            headers={"Authorization": f"Bearer {token}"} if token else None,
            settings=chroma_settings,
        )


def _is_connection_failure(err: BaseException) -> bool:
    import httpx

    if isinstance(err, httpx.TransportError | ConnectionError | TimeoutError):
        return True
    return isinstance(err, ValueError) and "could not connect" in str(err).lower()


@contextlib.contextmanager
def _server_errors(settings: Settings) -> Iterator[None]:
    """A Chroma server that is down, or goes down mid-ingest or mid-question, is one line
    with its own exit code, never a traceback or a misleading "no index"."""
    try:
        yield
    except StoreUnreachableError:
        raise
    except Exception as err:
        if settings.store.mode != "server" or not _is_connection_failure(err):
            raise
        store = settings.store
        reason = " ".join(str(err).split()) or type(err).__name__
        raise StoreUnreachableError(
            f"cannot reach the Chroma server at {store.host}:{store.port} ({reason}); "
            "is `chroma run` running? (store.host, store.port)"
        ) from None


def _server_call(method: F) -> F:
    @functools.wraps(method)
    def wrapper(self: ChromaStore, *args: Any, **kwargs: Any) -> Any:
        with _server_errors(self.settings):
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def collection_for(settings: Settings, stored: str | None, index_id: str) -> str:
    """The collection an index writes to: the one it recorded, unless ``store.collection``
    now names another; else ``articles`` in the data dir's own embedded store, and
    ``articles-<index id>`` on a server, where other data dirs' indexes live beside it."""
    explicit = settings.store.collection
    if stored and (not explicit or stored == explicit or stored.startswith(explicit + "--")):
        return stored
    if explicit:
        return explicit
    if settings.store.mode == "embedded":
        return "articles"
    return f"articles-{index_id[:16]}"


def record_id(chunk: Chunk, content_hash: str) -> str:
    """A chunk's id in Chroma names its article version, so a new version's chunks are
    written beside the old ones and the catalog switches between them in one commit."""
    return f"{chunk.id}@{content_hash[:12]}"


@dataclass(frozen=True, slots=True)
class Record:
    id: str
    article_id: str
    index: int
    content_hash: str


def describe(settings: Settings) -> str:
    """Where the vectors live, for stats and messages."""
    if settings.store.mode == "embedded":
        return f"embedded ({settings.chroma_dir})"
    scheme = "https" if settings.store.ssl else "http"
    return f"server ({scheme}://{settings.store.host}:{settings.store.port})"


def day_number(published: str) -> int:
    """``YYYY[-MM[-DD]]`` as YYYYMMDD (missing parts 0), so Chroma can compare dates; 0 if none."""
    m = _DATE.match(published)
    if not m:
        return 0
    year, month, day = m.group(1), m.group(2) or "00", m.group(3) or "00"
    return int(year + month + day)


def where_for(filters: Filters | None) -> dict[str, Any] | None:
    """A Chroma ``where`` that pre-selects what ``Filters.accepts`` will keep (never less)."""
    if filters is None or filters.is_empty():
        return None
    clauses: list[dict[str, Any]] = []
    if filters.outlets:
        clauses.append({OUTLET_KEY: {"$in": sorted({o.casefold() for o in filters.outlets})}})
    if filters.since or filters.until:
        clauses.append({DAY_KEY: {"$gt": 0}})
    if filters.since and _DATE.fullmatch(filters.since):
        clauses.append({DAY_KEY: {"$gte": day_number(filters.since)}})
    if filters.until and _DATE.fullmatch(filters.until):
        clauses.append({DAY_KEY: {"$lte": day_number(filters.until)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def chunk_metadata(chunk: Chunk, content_hash: str) -> dict[str, str | int]:
    """What we store per chunk: the chunk's own metadata plus filter keys and its version."""
    return {
        **chunk.metadata(),
        HASH_KEY: content_hash,
        OUTLET_KEY: chunk.outlet.casefold(),
        DAY_KEY: day_number(chunk.published),
    }


@dataclass(frozen=True, slots=True)
class DenseHit:
    chunk: Chunk
    distance: float
    content_hash: str


class ChromaStore:
    """One collection of chunk vectors, tagged with the embedding model that made them."""

    def __init__(
        self, settings: Settings, client: ClientAPI | None = None, name: str | None = None
    ) -> None:
        self.settings = settings
        self.name = name or settings.store.collection or "articles"
        self._client = client
        self._collection: Collection | None = None
        self._lc: tuple[Any, dict[str, Any]] | None = None

    @property
    def client(self) -> ClientAPI:
        if self._client is None:
            self._client = make_client(self.settings)
        return self._client

    # Reading
    @_server_call
    def collection(self) -> Collection | None:
        """The existing collection, or None when nothing was ever indexed here."""
        if self._collection is None:
            from chromadb.errors import NotFoundError

            try:
                self._collection = self.client.get_collection(self.name)
            except NotFoundError:
                return None
            except ValueError as err:  # older clients: "collection does not exist"
                if _is_connection_failure(err):
                    raise
                return None
        return self._collection

    def model(self) -> str | None:
        col = self.collection()
        return None if col is None else str((col.metadata or {}).get(MODEL_KEY, "")) or None

    def check_model(self, model: str) -> None:
        built = self.model()
        if built is not None and built != model:
            raise ModelMismatchError(
                f"index was built with {built}; this run uses {model}"
                " — run `assistant ingest --rebuild`"
            )

    def owner(self) -> str | None:
        """The id of the index that created the collection (None: made before owners)."""
        col = self.collection()
        return None if col is None else (str((col.metadata or {}).get(OWNER_KEY, "")) or None)

    def check_owner(self, index_id: str | None) -> None:
        """Refuse a collection another data dir's index writes to: its catalog, not ours,
        says which of its chunks are current, and our ingest would delete them as orphans.

        An embedded store lives in the data dir: whatever it holds is this index's.
        """
        if self.settings.store.mode == "embedded":
            return
        owner = self.owner()
        if owner is not None and index_id is not None and owner != index_id:
            raise StoreConflictError(
                f"the Chroma collection {self.name!r} belongs to another index (id {owner[:16]});"
                " give this data dir its own with store.collection, or share the data dir too"
            )

    @_server_call
    def count(self) -> int:
        col = self.collection()
        return 0 if col is None else col.count()

    def warm_up(self) -> threading.Thread | None:
        """Load the vector index in the background while the caller loads its embedder: the
        first query of a process otherwise waits for it (about 0.2 s at 100k chunks).

        Embedded stores only (a server keeps its index loaded). The thread is not a daemon, so
        the interpreter joins it before it finalises: Chroma's native code crashed the process
        at exit (SIGSEGV) when a daemon warm-up was still inside it.
        """
        if self.settings.store.mode != "embedded":
            return None
        col = self.collection()
        dim = int((col.metadata or {}).get(DIM_KEY, 0)) if col is not None else 0
        if col is None or dim <= 0:
            return None

        probe: list[float] = [0.0] * (dim - 1) + [1.0]

        def load() -> None:
            with contextlib.suppress(Exception):  # only a head start; the real query reports
                col.query(query_embeddings=probe, n_results=1, include=[])

        thread = threading.Thread(target=load, name="chroma-warm-up", daemon=False)
        thread.start()
        return thread

    @_server_call
    def query(
        self, embedding: np.ndarray, n: int, filters: Filters | None = None
    ) -> list[DenseHit]:
        col = self.collection()
        if col is None or n <= 0:
            return []
        res = col.query(
            query_embeddings=[embedding.tolist()],
            n_results=n,
            where=where_for(filters),
            include=["documents", "metadatas", "distances"],
        )
        ids = res["ids"][0]
        docs = (res["documents"] or [[]])[0]
        metas = (res["metadatas"] or [[]])[0]
        dists = (res["distances"] or [[]])[0]
        return [
            DenseHit(Chunk.from_metadata(i, d or "", dict(m)), float(x), str(m.get(HASH_KEY, "")))
            for i, d, m, x in zip(ids, docs, metas, dists, strict=True)
            if m is not None
        ]

    @_server_call
    def existing(self, ids: Sequence[str]) -> set[str]:
        col = self.collection()
        if col is None or not ids:
            return set()
        return set(col.get(ids=list(ids), include=[])["ids"])

    @_server_call
    def all_ids(self) -> list[str]:
        col = self.collection()
        if col is None:
            return []
        return [i for page in self._pages(col, include=[]) for i in page["ids"]]

    def iter_records(self) -> Iterator[Record]:
        """Every stored chunk's id, article, position and version, without its text."""
        col = self.collection()
        if col is None:
            return
        for page in self._pages(col, include=["metadatas"]):
            for cid, meta in zip(page["ids"], page["metadatas"] or [], strict=True):
                meta = meta or {}
                yield Record(
                    cid, str(meta.get("article_id", "")), int(meta.get("index", -1)),
                    str(meta.get(HASH_KEY, "")),
                )  # fmt: skip

    def iter_chunks(self) -> Iterator[tuple[Chunk, str]]:
        """Every stored chunk with its article's content hash (for the BM25 rebuild)."""
        col = self.collection()
        if col is None:
            return
        for page in self._pages(col, include=["documents", "metadatas"]):
            docs = page["documents"] or []
            metas = page["metadatas"] or []
            for cid, doc, meta in zip(page["ids"], docs, metas, strict=True):
                yield Chunk.from_metadata(cid, doc or "", dict(meta)), str(meta.get(HASH_KEY, ""))

    def _pages(self, col: Collection, include: list[Any]) -> Iterator[Any]:
        offset = 0
        while True:
            with _server_errors(self.settings):
                page = col.get(include=include, limit=_PAGE, offset=offset)
            if not page["ids"]:
                return
            yield page
            offset += len(page["ids"])

    # Writing (the indexer only; langchain-chroma is imported here, never on the query path)
    @_server_call
    def open_for_writing(self, model: str, dim: int, index_id: str) -> None:
        """Create the collection if needed, tagged with ``model`` and owned by ``index_id``;
        refuse another model's or another index's collection."""
        self.check_model(model)
        self.check_owner(index_id)
        col = self.client.get_or_create_collection(
            self.name,
            metadata={MODEL_KEY: model, DIM_KEY: dim, OWNER_KEY: index_id},
            configuration={"hnsw": {"space": "cosine"}},
            embedding_function=None,
        )
        self._collection = col
        self.check_owner(index_id)  # another index may have created it since
        if self.owner() != index_id:  # made before owners were recorded: ours from now on
            col.modify(metadata={**(col.metadata or {}), OWNER_KEY: index_id})

    @_server_call
    def put_articles(
        self, articles: Sequence[tuple[str, Sequence[Chunk], str]], vectors: np.ndarray
    ) -> None:
        """Upsert the articles' chunks beside any older version's (see ``record_id``).

        ``articles`` are ``(article_id, chunks, content_hash)``; ``vectors`` are their chunks'
        embeddings, in order. ``drop_stale`` removes the older versions once the catalog
        names the new ones.
        """
        if not articles:
            return
        writer, lookup = self._writer()
        rows = [(c, h) for _, chunks, h in articles for c in chunks]
        lookup.clear()
        lookup.update((c.text, v) for (c, _), v in zip(rows, vectors, strict=True))
        step = self._max_batch()
        for lo in range(0, len(rows), step):
            part = rows[lo : lo + step]
            writer.add_texts(
                texts=[c.text for c, _ in part],
                metadatas=[chunk_metadata(c, h) for c, h in part],
                ids=[record_id(c, h) for c, h in part],
            )
        lookup.clear()

    @_server_call
    def drop_stale(self, articles: Sequence[tuple[str, Sequence[Chunk], str]]) -> None:
        """Delete the articles' chunks that are not their current version's."""
        col = self.collection()
        if col is None or not articles:
            return
        keep = {record_id(c, h) for _, chunks, h in articles for c in chunks}
        where: Any = {"article_id": {"$in": [a for a, _, _ in articles]}}
        found = col.get(where=where, include=[])
        self.delete_ids([i for i in found["ids"] if i not in keep])

    @_server_call
    def delete_ids(self, ids: Sequence[str]) -> None:
        col = self.collection()
        step = 500
        for lo in range(0, len(ids), step) if col is not None else ():
            col.delete(ids=list(ids[lo : lo + step]))  # type: ignore[union-attr]

    @_server_call
    def delete_article(self, article_id: str) -> None:
        col = self.collection()
        if col is not None:
            col.delete(where={"article_id": article_id})

    @_server_call
    def drop(self) -> None:
        """Remove the whole collection (the old one, after ``ingest --rebuild`` swapped)."""
        from chromadb.errors import NotFoundError

        with contextlib.suppress(NotFoundError, ValueError):
            self.client.delete_collection(self.name)
        self._collection = None
        self._lc = None

    def _writer(self) -> tuple[Any, dict[str, Any]]:
        """A langchain-chroma store on our collection, fed vectors we computed in batches."""
        if self._lc is None:
            from langchain_chroma import Chroma

            lookup: dict[str, Any] = {}
            store = Chroma(
                client=self.client,
                collection_name=self.name,
                embedding_function=_precomputed(lookup),
                create_collection_if_not_exists=False,
            )
            self._lc = (store, lookup)
        return self._lc

    def _max_batch(self) -> int:
        try:
            return max(1, min(int(self.client.get_max_batch_size()), 2000))
        except Exception:  # older servers don't say
            return 500


def _precomputed(vectors: dict[str, Any]) -> Any:
    """A LangChain ``Embeddings`` that returns vectors we already computed in a batch."""
    from langchain_core.embeddings import Embeddings

    class Precomputed(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return [vectors[t].tolist() for t in texts]

        def embed_query(self, text: str) -> list[float]:
            raise NotImplementedError("queries go through ChromaStore.query")

    return Precomputed()
