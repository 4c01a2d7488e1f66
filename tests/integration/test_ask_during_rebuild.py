"""`ask` while another process runs `ingest --rebuild`: it answers from the old index or says
the index is being rebuilt (exit 5) — never a crash, a segfault or the seeds mixed in."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.retrieval import indexer
from assistant.settings import load_settings
from tests.conftest import ROOT
from tests.unit.retrieval_fakes import HashEmbedder, write_articles

pytestmark = pytest.mark.slow

REBUILD = """
import sys, time
from pathlib import Path
from assistant.retrieval import indexer
from assistant.settings import load_settings
from tests.unit.retrieval_fakes import HashEmbedder

class Slow(HashEmbedder):
    def embed_documents(self, texts):
        time.sleep(0.5)
        return super().embed_documents(texts)

indexer.EMBED_BATCH = 1
indexer.sync([Path(sys.argv[1])], load_settings(), rebuild=True, embedder=Slow())
"""

ASK = """
import sys
from assistant.retrieval import embeddings
from tests.unit.retrieval_fakes import HashEmbedder

embeddings.make_embedder = lambda settings: HashEmbedder()
sys.argv = ["assistant", "ask", "Which officials described the wheat harvest in detail?"]
from assistant.cli import main
main()
"""


def test_ask_during_a_rebuild_answers_or_says_rebuilding(tmp_path: Path) -> None:
    folder = tmp_path / "arts"
    write_articles(folder, 20)
    settings = load_settings()
    indexer.sync([folder], settings, embedder=HashEmbedder())  # type: ignore[arg-type]
    rebuild = subprocess.Popen([sys.executable, "-c", REBUILD, str(folder)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        while not settings.lock_file.exists() or not settings.lock_file.read_text().strip():
            assert rebuild.poll() is None, "the rebuild ended before it could be asked"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        for _ in range(3):
            out = subprocess.run(
                [sys.executable, "-c", ASK], capture_output=True, text=True, cwd=ROOT,
                timeout=120,
            )  # fmt: skip
            assert out.returncode in (0, 5), out.stderr
            if out.returncode == 5:
                assert "try again in a moment" in out.stderr
            else:
                assert "Sources:" in out.stdout and "seed" not in out.stderr
        assert rebuild.poll() is None, "the rebuild finished before the questions: no overlap"
    finally:
        rebuild.kill()  # no need to wait for it: the questions overlapped it
        rebuild.wait(timeout=60)
