"""A question asked while another process builds or rebuilds the index waits briefly for it,
then says the index is being rebuilt (not that a second ingest is running)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from assistant.errors import StoreBusyError
from assistant.retrieval import bootstrap, embeddings, indexer
from assistant.settings import load_settings
from tests.unit.retrieval_fakes import HashEmbedder, write_articles


@pytest.fixture(autouse=True)
def hash_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embeddings, "make_embedder", lambda settings: HashEmbedder())


def test_ask_while_an_ingest_holds_an_empty_index_says_rebuilding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bootstrap, "BUSY_WAIT_S", 0.3)
    settings = load_settings()
    with indexer.ingest_lock(settings), pytest.raises(StoreBusyError) as err:
        bootstrap.ensure_index(settings)
    assert "being built or rebuilt" in str(err.value)
    assert "try again in a moment" in str(err.value)


def test_ask_waits_for_the_other_ingest_then_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "arts"
    write_articles(folder, 3)
    monkeypatch.setenv("ASSISTANT_SEEDS_DIR", str(folder))
    monkeypatch.setattr(bootstrap, "BUSY_WAIT_S", 60.0)
    settings = load_settings()
    locked, waiting = threading.Event(), threading.Event()

    def other_ingest() -> None:
        with indexer.ingest_lock(settings):
            locked.set()
            waiting.wait(60)

    holder = threading.Thread(target=other_ingest)
    holder.start()
    locked.wait(60)
    statuses: list[str] = []

    def status(line: str) -> None:
        statuses.append(line)
        waiting.set()

    index = bootstrap.ensure_index(settings, on_status=status)
    holder.join()
    assert "waiting" in statuses[0]
    assert index.stats()["articles"] == 3
    index.close()


def test_first_run_ingest_reports_its_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "arts"
    write_articles(folder, 3)
    monkeypatch.setenv("ASSISTANT_SEEDS_DIR", str(folder))
    lines: list[str] = []
    index = bootstrap.ensure_index(load_settings(), on_status=lines.append)
    index.close()
    progress = [line for line in lines if line.startswith("ingesting the seed articles: ")]
    assert progress and progress[-1].startswith("ingesting the seed articles: 3/3")
