"""Ingest speed: the int8 graph, preparation overlapped with embedding, the progress bar."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from assistant.errors import ModelMismatchError
from assistant.retrieval import indexer
from assistant.retrieval.embeddings import STATS, MiniLMOnnxEmbedder
from assistant.settings import load_settings
from tests.unit.retrieval_fakes import HashEmbedder, write_articles

SENTENCES = [
    "The orchestra will tour six cities next spring, its director said.",
    "Heavy rain flooded the lower streets of the town overnight.",
    "A local bakery won the regional prize for its rye bread.",
]


@pytest.mark.slow
def test_int8_graph_is_close_to_fp32_and_named_apart() -> None:
    settings = load_settings()
    fp32 = MiniLMOnnxEmbedder(settings, quantized=False)
    int8 = MiniLMOnnxEmbedder(settings, quantized=True)
    assert (fp32.name, int8.name) == ("minilm:all-MiniLM-L6-v2", "minilm:all-MiniLM-L6-v2-int8v3")
    a, b = fp32.embed_documents(SENTENCES), int8.embed_documents(SENTENCES)
    cosines = (a * b).sum(axis=1)
    assert cosines.min() > 0.97
    assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(a, b, atol=1e-4)  # really another graph


def test_switching_the_graph_needs_a_rebuild(tmp_path: Path) -> None:
    settings = load_settings()
    paths = write_articles(tmp_path / "arts", 2)
    indexer.sync(paths, settings, embedder=HashEmbedder(name="minilm:all-MiniLM-L6-v2"))  # type: ignore[arg-type]
    with pytest.raises(ModelMismatchError) as info:
        indexer.sync(paths, settings, embedder=HashEmbedder(name="minilm:all-MiniLM-L6-v2-int8"))  # type: ignore[arg-type]
    assert info.value.exit_code == 6


@pytest.mark.parametrize(("prefetch", "thread"), [(16, "ingest-prepare"), (0, "MainThread")])
def test_files_are_prepared_ahead_in_a_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefetch: int, thread: str
) -> None:
    import importlib

    prepare_module = importlib.import_module("assistant.ingest.prepare")
    seen: list[str] = []
    real = prepare_module.prepare

    def spy(*args: object, **kw: object) -> object:
        seen.append(threading.current_thread().name)
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(prepare_module, "prepare", spy)
    monkeypatch.setattr(indexer, "PREFETCH", prefetch)
    paths = write_articles(tmp_path / "arts", 5)
    (tmp_path / "arts" / "bad.txt").write_bytes(b"\x00binary")
    report = indexer.sync([tmp_path / "arts"], load_settings(), embedder=HashEmbedder())  # type: ignore[arg-type]
    assert report.added == len(paths) and len(report.failed) == 1
    assert len(seen) == 6 and all(name.startswith(thread) for name in seen)


def test_progress_bar_shows_eta_and_tokens_per_second() -> None:
    from assistant.cli.ingest import _ProgressBar

    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=160)
    with _ProgressBar(console) as bar:
        STATS.tokens += 12_000
        bar.update(1, 4, "first.txt")
        bar.progress.refresh()
    text = out.getvalue()
    assert "1/4" in text and "ETA" in text and "first.txt" in text
    assert "tokens/s" in text
