"""Crash safety: an ingest killed mid-run leaves an index that answers, and the next run
finishes the job without duplicates. Also: a second ingest while one runs is refused."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.errors import StoreBusyError
from assistant.retrieval import bm25, indexer
from assistant.retrieval.catalog import Catalog
from assistant.retrieval.index import open_index, open_store
from assistant.settings import load_settings
from tests.conftest import ROOT
from tests.unit.retrieval_fakes import HashEmbedder, write_articles

# Slow embedding and small batches, so the run is still writing when it is killed.
SCRIPT = """
import sys, time
from pathlib import Path
from assistant.retrieval import indexer
from assistant.settings import load_settings
from tests.unit.retrieval_fakes import HashEmbedder

class Slow(HashEmbedder):
    def embed_documents(self, texts):
        time.sleep(0.2)
        return super().embed_documents(texts)

indexer.EMBED_BATCH = 1
indexer.sync([Path(sys.argv[1])], load_settings(), embedder=Slow())
"""


def committed(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_kill_mid_ingest_then_rerun(tmp_path: Path) -> None:
    settings = load_settings()
    folder = tmp_path / "arts"
    write_articles(folder, 40)
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(folder)], cwd=ROOT)
    deadline = time.monotonic() + 120
    while committed(settings.index_db) < 4:
        assert proc.poll() is None, "the ingest ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    with pytest.raises(
        StoreBusyError, match=rf"another ingest is running on .* \(pid {proc.pid}\)"
    ):
        indexer.sync([folder], settings, embedder=HashEmbedder())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    done = committed(settings.index_db)
    assert 4 <= done < 40
    assert Catalog(settings.index_db).bm25_dirty
    index = open_index(settings, embedder=HashEmbedder())
    hits = index.retriever.retrieve("wheat harvest officials", 5)
    assert hits
    for h in hits:
        text = index.source.article_text(h.chunk.article_id)
        assert text is not None and text[h.chunk.start : h.chunk.end] == h.chunk.text

    report = indexer.sync([folder], settings, embedder=HashEmbedder())
    assert report.unchanged == done and report.added == 40 - done and not report.failed
    assert report.bm25_rebuilt and not Catalog(settings.index_db).bm25_dirty
    ids = open_store(settings).all_ids()
    assert len(ids) == len(set(ids)) == report.chunks
    assert sum(n for _, n in Catalog(settings.index_db).list_articles()) == report.chunks
    bm = bm25.load(settings.bm25_dir)
    assert bm is not None and len(bm) == report.chunks
