"""The real thing: seeds/ through the real ingest and the default embedder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from assistant.retrieval.index import open_index, open_store
from assistant.settings import load_settings
from tests.conftest import SEEDS

pytest.importorskip("assistant.retrieval.embeddings")

pytestmark = pytest.mark.slow


@pytest.fixture
def cli() -> typer.Typer:
    from assistant.cli import ingest as ingest_cli

    app = typer.Typer()
    ingest_cli.register(app)
    return app


def test_seeds_ingest_twice_then_answer(cli: typer.Typer) -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["ingest"])
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("5 articles (5 added, 0 updated, 0 unchanged, 0 removed)")
    before = runner.invoke(cli, ["sources", "--json"]).stdout
    second = runner.invoke(cli, ["ingest"])
    assert second.exit_code == 0
    assert second.stdout.strip() == "No changes: 5 articles unchanged."
    assert runner.invoke(cli, ["sources", "--json"]).stdout == before
    assert len(json.loads(before)) == 5

    settings = load_settings()
    index = open_index(settings)
    stats = index.stats()
    ids = open_store(settings).all_ids()
    assert stats["articles"] == 5 and len(ids) == len(set(ids)) == stats["chunks"]
    hits = index.retriever.retrieve("What did Yang Jiechi tell John Kerry?", 4)
    both_cover_it = {"000_7da489a1ea8c4972.txt", "003_7d1f377c2dc1bafd.txt"}
    assert hits and {h.chunk.article_id for h in hits[:2]} <= both_cover_it
    for h in hits:
        text = index.source.article_text(h.chunk.article_id)
        assert text is not None and text[h.chunk.start : h.chunk.end] == h.chunk.text


def test_seeds_copy_add_change_prune_and_a_bad_file(cli: typer.Typer, seeds_copy: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", str(seeds_copy)]).exit_code == 0
    settings = load_settings()
    files = sorted(seeds_copy.iterdir())
    kept_text = open_index(settings).source.article_text(files[1].name)

    shutil.copy(files[0], seeds_copy / "copy_of_first.txt")
    with files[2].open("a", encoding="utf-8") as fh:
        fh.write("\nA late paragraph was added to this story about a new development.\n")
    files[1].write_bytes(b"\x00\x01\x02\xff" * 64)  # now unreadable: keep the old version
    files[3].unlink()
    result = runner.invoke(cli, ["ingest", str(seeds_copy), "--prune"])
    assert result.exit_code == 7  # some files were not ingested
    assert f"skipped {files[1]}" in result.stderr
    assert result.stdout.startswith("5 articles (1 added, 1 updated, 2 unchanged, 1 removed)")
    index = open_index(settings)
    assert index.source.article_text(files[1].name) == kept_text
    assert index.source.article(files[3].name) is None
    ids = open_store(settings).all_ids()
    assert len(ids) == len(set(ids)) == index.stats()["chunks"]
    assert not any(i.startswith(files[3].name + "#") for i in ids)


def test_seeds_copy_with_a_different_model_is_refused(seeds_copy: Path) -> None:
    from assistant.errors import ModelMismatchError
    from assistant.retrieval.indexer import sync
    from tests.unit.retrieval_fakes import HashEmbedder

    settings = load_settings()
    sync([SEEDS], settings)
    with pytest.raises(ModelMismatchError, match="ingest --rebuild"):
        sync([seeds_copy], settings, embedder=HashEmbedder())
