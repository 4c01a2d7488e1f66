"""JSONL news dumps: field mapping, records under a key, deduplication, bad lines by number."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from assistant.errors import InputError
from assistant.ingest.dumps import parse_map, read_dumps
from assistant.ingest.frontmatter import parse_sidecar, sidecar_path
from assistant.retrieval import indexer
from assistant.settings import load_settings
from tests.conftest import ROOT
from tests.unit.retrieval_fakes import HashEmbedder

REALTIMEQA = (
    next(
        (
            p
            for p in (ROOT.parent / "shared", Path("/work/shared"))
            if (p / "datasets/realtimeqa/20230106_gcs.jsonl").exists()
        ),
        Path("/nonexistent"),
    )
    / "datasets/realtimeqa/20230106_gcs.jsonl"
)
TEXT_A = "The library will stay open until ten at night during the exam weeks, the dean said."
TEXT_B = "A new cycle lane along the river opened on Friday after two years of building work."


def write_lines(path: Path, lines: list[object]) -> Path:
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n",
        encoding="utf-8",
    )
    return path


def test_default_shape_dedupe_and_bad_lines(tmp_path: Path) -> None:
    dump = write_lines(
        tmp_path / "news.jsonl",
        [
            {
                "url": "https://news.example.com/a",
                "title": "Library hours extended ...",
                "text": TEXT_A,
                "authors": ["Kim Lee", "Ola Berg"],
                "publish_date": "2022/07/14",
            },
            {"url": "https://news.example.com/a#top", "title": "again", "text": TEXT_B},
            {"url": "https://other.example.org/copy", "title": "copy", "text": f"  {TEXT_A}\n"},
            "{not json",
            {"url": "https://news.example.com/c", "title": "no text"},
            {"url": "https://news.example.com/b", "title": "Cycle lane opens", "text": TEXT_B},
        ],
    )
    report = read_dumps([dump], load_settings())
    assert report.duplicates == 2
    assert report.failed[0].startswith(f"{dump}:4: not JSON")
    assert report.failed[1].startswith(f"{dump}:5: no text")
    assert len(report.failed) == 2
    first, second = report.files
    assert first.read_bytes().decode() == TEXT_A  # the record's text is the original file
    assert parse_sidecar(sidecar_path(first).read_bytes()) == {
        "url": "https://news.example.com/a",
        "title": "Library hours extended",
        "outlet": "news.example.com",
        "byline": "Kim Lee, Ola Berg",
        "published": "2022-07-14",
    }
    assert second.read_bytes().decode() == TEXT_B


def test_map_and_records_key(tmp_path: Path) -> None:
    dump = write_lines(
        tmp_path / "search.jsonl",
        [
            {"q": 1, "hits": [{"headline": "H1", "body": TEXT_A, "src": {"name": "Campus Post"}}]},
            {"q": 2, "results": []},
        ],
    )
    mapping = parse_map(["title=headline,text=body", "outlet=src.name"])
    report = read_dumps([dump], load_settings(), mapping=mapping, records_key="hits")
    assert report.failed == [f"{dump}:2: no 'hits' key (--records)"]
    meta = parse_sidecar(sidecar_path(report.files[0]).read_bytes())
    assert (meta["title"], meta["outlet"]) == ("H1", "Campus Post")


def test_bad_map_is_input_error() -> None:
    with pytest.raises(InputError, match="expected FIELD=KEY"):
        parse_map(["headline"])
    with pytest.raises(InputError, match="FIELD one of"):
        parse_map(["colour=red"])


@pytest.mark.slow
@pytest.mark.skipif(not REALTIMEQA.exists(), reason="RealTime QA data not on this machine")
def test_realtimeqa_search_results(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.cli import ingest

    monkeypatch.setattr(indexer, "sync", functools.partial(indexer.sync, embedder=HashEmbedder()))
    app = typer.Typer()
    ingest.register(app)
    runner = CliRunner()
    out = runner.invoke(app, ["ingest", "--records", "search_result", str(REALTIMEQA)])
    assert out.exit_code == 0, out.output
    first = json.loads(REALTIMEQA.read_text(encoding="utf-8").splitlines()[0])["search_result"][0]
    listing = json.loads(runner.invoke(app, ["sources", "--json"]).stdout)
    article = next(a for a in listing if a["url"] == first["url"])
    assert article["title"] == first["title"].removesuffix(" ...")
    assert article["outlet"] == "usatoday.com"
    assert article["published"] == first["publish_date"].replace("/", "-")
    assert Path(article["path"]).read_text(encoding="utf-8") == first["text"]
    assert len(listing) == len({a["url"] for a in listing}) > 100
