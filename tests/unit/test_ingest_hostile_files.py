"""Folders a careless or hostile user ingests: a FIFO, a name that is not UTF-8, symlink loops.
Each gets one line; the rest of the folder is ingested (exit 7), nothing hangs or crashes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from assistant.ingest.loaders import LoadError, content_hash, discover
from assistant.retrieval import embeddings
from tests.unit.retrieval_fakes import HashEmbedder, write_articles

pytestmark = pytest.mark.timeout(120)  # a FIFO opened for reading would block forever


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    folder = tmp_path / "arts"
    write_articles(folder, 2)
    os.mkfifo(folder / "pipe.txt")
    (folder / os.fsdecode(b"caf\xff.txt")).write_text("Not UTF-8 in its name.\n", "utf-8")
    (folder / "loop_a.md").symlink_to(folder / "loop_b.md")
    (folder / "loop_b.md").symlink_to(folder / "loop_a.md")
    (folder / "sub").mkdir()
    (folder / "sub" / "up").symlink_to(folder)  # a folder loop: never walked into
    return folder


def test_discover_notes_each_bad_entry_once_and_keeps_the_rest(hostile: Path) -> None:
    found, errors = discover([hostile])
    assert [i for _, i in found] == ["gen_000.md", "gen_001.md"]
    reasons = sorted(e.reason for e in errors)
    assert len(reasons) == 4
    assert sum("not a regular file" in r for r in reasons) == 1
    assert sum("not valid UTF-8" in r for r in reasons) == 1
    assert sum("symbolic link loop" in r for r in reasons) == 2


def test_a_named_fifo_or_loop_is_refused_without_opening_it(hostile: Path) -> None:
    _, errors = discover([hostile / "pipe.txt", hostile / "loop_a.md"])
    assert [e.reason for e in errors] == ["not a regular file", "symbolic link loop"]
    with pytest.raises(LoadError, match="not a regular file"):
        content_hash(hostile / "pipe.txt")  # never blocks waiting for a writer


def test_ingest_of_a_hostile_folder_indexes_the_rest(
    hostile: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.cli import ingest as ingest_cli

    monkeypatch.setattr(embeddings, "make_embedder", lambda settings: HashEmbedder())
    app = typer.Typer()
    ingest_cli.register(app)
    out = CliRunner().invoke(app, ["ingest", str(hostile)])
    assert out.exit_code == 7, out.output
    assert out.stdout.startswith("2 articles (2 added")
    assert len([line for line in out.stderr.splitlines() if line.startswith("skipped ")]) == 4


def cli_app(monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    from assistant.cli import ingest as ingest_cli

    monkeypatch.setattr(embeddings, "make_embedder", lambda settings: HashEmbedder())
    app = typer.Typer()
    ingest_cli.register(app)
    return app


def test_an_empty_folder_says_no_article_files_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    (empty / "notes.pdf").write_bytes(b"%PDF")
    out = CliRunner().invoke(cli_app(monkeypatch), ["ingest", str(empty)])
    assert out.exit_code == 2
    assert f"no article files found in {empty}" in out.stderr
    assert "(expected .htm, .html, .markdown, .md, .txt)" in out.stderr


def test_a_huge_single_file_reports_progress_while_it_embeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.retrieval import indexer

    monkeypatch.setattr(indexer, "EMBED_BATCH", 8)
    folder = tmp_path / "one"
    folder.mkdir()
    words = "Officials said the strike would end soon, and the port reopened later. " * 400
    (folder / "huge.txt").write_text("Huge\n\n" + words + "\n", encoding="utf-8")
    out = CliRunner().invoke(cli_app(monkeypatch), ["ingest", str(folder)])
    assert out.exit_code == 0, out.output
    assert "huge.txt: embedding chunks 0/" in out.stderr
