"""kill -9 at random moments of real `ingest` and `ingest --rebuild` subprocesses.

After every kill the index must answer with every catalogued article whole (no article
hidden, none half-indexed), a rebuild must have left the old index or the new one, never a
mix, and the seeds must never appear; the next ingest must then leave Chroma, the catalog and
BM25 in agreement with no leftover collections.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.errors import AssistantError
from assistant.retrieval import bm25, indexer
from assistant.retrieval.catalog import Catalog
from assistant.retrieval.index import open_index, open_store
from assistant.settings import Settings, load_settings
from tests.conftest import ROOT, SEEDS
from tests.unit.retrieval_fakes import HashEmbedder, write_articles

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TRIALS = int(os.environ.get("KILL_LOOP_TRIALS", "24"))
SCRIPT = """
import sys, time
from pathlib import Path
from assistant.retrieval import indexer
from assistant.settings import load_settings
from tests.unit.retrieval_fakes import HashEmbedder

class Slow(HashEmbedder):
    def embed_documents(self, texts):
        time.sleep(0.03)
        return super().embed_documents(texts)

indexer.EMBED_BATCH = 1
rebuild = sys.argv[2] == "rebuild"
indexer.sync([Path(sys.argv[1])], load_settings(), embedder=Slow(), rebuild=rebuild,
             prune=not rebuild)
"""


def fresh_clients() -> None:
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def launch(folder: Path, mode: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(folder), mode],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for_lock(settings: Settings, proc: subprocess.Popen[bytes]) -> bool:
    """True once the subprocess holds the ingest lock; False if it ended first."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            if settings.lock_file.read_text().strip() == str(proc.pid):
                return True
        except FileNotFoundError:
            pass
        time.sleep(0.005)
    raise TimeoutError("the ingest never took its lock")


def problems_after_kill(
    settings: Settings, before: set[str], corpus: set[str], mode: str
) -> list[str]:
    """What is wrong with the index a killed run left; empty when it is sound."""
    fresh_clients()
    found: list[str] = []
    index = open_index(settings, embedder=HashEmbedder())
    try:
        rows = {a.id: (a.content_hash, n) for a, n in index.source.list_articles()}
        have: dict[str, set[int]] = {}
        for rec in index.retriever.store.iter_records():
            want = rows.get(rec.article_id)
            if want and want[0] == rec.content_hash and 0 <= rec.index < want[1]:
                have.setdefault(rec.article_id, set()).add(rec.index)
        hidden = sorted(a for a, (_, n) in rows.items() if len(have.get(a, ())) < n)
        if hidden:
            found.append(f"articles without all their chunks: {hidden}")
        ids = set(rows)
        if ids & {p.name for p in SEEDS.iterdir()}:
            found.append("seed articles appeared")
        if mode == "rebuild" and ids not in (before, corpus):
            found.append(f"a rebuild left a mix: {sorted(ids ^ before)}")
        if mode == "ingest" and not ids <= before | corpus:
            found.append(f"unknown articles: {sorted(ids - before - corpus)}")
        for hit in index.retriever.retrieve("officials described the harvest", 10):
            text = index.source.article_text(hit.chunk.article_id) or ""
            if text[hit.chunk.start : hit.chunk.end] != hit.chunk.text:
                found.append(f"a hit does not verify: {hit.chunk.id}")
    finally:
        index.close()
    return found


def problems_after_recovery(settings: Settings, folder: Path, corpus: set[str]) -> list[str]:
    fresh_clients()
    report = indexer.sync([folder], settings, embedder=HashEmbedder(), prune=True)
    found: list[str] = []
    ids = catalog_ids(settings)
    store = open_store(settings)
    chunk_ids = store.all_ids()
    if ids != corpus or report.failed:
        found.append(f"catalog {sorted(ids ^ corpus)} off, failed {report.failed}")
    if len(chunk_ids) != len(set(chunk_ids)) or len(chunk_ids) != report.chunks:
        found.append(f"{len(chunk_ids)} chunks in Chroma, {report.chunks} in the catalog")
    bm = bm25.load(settings.bm25_dir)
    if bm is None or len(bm) != report.chunks:
        found.append("BM25 does not match the catalog")
    names = {c.name for c in store.client.list_collections()}
    if names != {store.name}:
        found.append(f"leftover collections: {sorted(names - {store.name})}")
    return found


def catalog_ids(settings: Settings) -> set[str]:
    catalog = Catalog(settings.index_db)
    try:
        return {a.id for a, _ in catalog.list_articles()}
    finally:
        catalog.close()


def change_corpus(folder: Path, rnd: random.Random, trial: int, next_id: list[int]) -> None:
    files = sorted(folder.iterdir())
    for path in rnd.sample(files, min(2, len(files))):
        path.write_text(path.read_text() + f"\nUpdate {trial}: officials said more.\n")
    if len(files) > 8:
        rnd.choice(files).unlink()
    write_articles(folder, 1, start=next_id[0])
    next_id[0] += 1


def test_kill_9_at_random_moments(tmp_path: Path) -> None:
    settings = load_settings()
    folder = tmp_path / "arts"
    write_articles(folder, 10)
    indexer.sync([folder], settings, embedder=HashEmbedder())
    rnd = random.Random(int(os.environ.get("KILL_LOOP_SEED", "14")))
    next_id = [100]
    calibrate = launch(folder, "rebuild")
    assert wait_for_lock(settings, calibrate)
    started = time.monotonic()
    assert calibrate.wait(timeout=300) == 0, calibrate.stderr
    span = max(0.2, time.monotonic() - started)

    failures: dict[int, list[str]] = {}
    killed = 0
    for trial in range(TRIALS):
        mode = "rebuild" if trial % 2 else "ingest"
        before = catalog_ids(settings)
        change_corpus(folder, rnd, trial, next_id)
        corpus = {p.name for p in folder.iterdir()}
        proc = launch(folder, mode)
        if wait_for_lock(settings, proc):
            time.sleep(rnd.uniform(0, span))
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                killed += 1
        proc.wait()
        try:
            found = problems_after_kill(settings, before, corpus, mode)
        except AssistantError as err:  # damaged, missing: the index did not survive the kill
            found = [f"{type(err).__name__}: {err}"]
        found += problems_after_recovery(settings, folder, corpus)
        if found:
            failures[trial] = [mode, *found]
    survived = TRIALS - len(failures)
    print(f"\nkill -9 trials: {survived}/{TRIALS} survived ({killed} killed mid-run)")
    assert not failures, failures
    assert killed >= TRIALS // 2, "too few runs were still writing when killed"
