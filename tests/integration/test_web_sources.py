"""Web pages and feeds from a real HTTP server on 127.0.0.1: fetch limits, `ingest URL`,
`feeds add/update/list/remove` with conditional requests. Never the internet."""

from __future__ import annotations

import functools
import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from assistant.ingest.feeds import FeedStore
from assistant.ingest.fetch import FetchError, fetch
from assistant.retrieval import indexer
from assistant.retrieval.catalog import Catalog
from assistant.settings import FetchSettings, load_settings
from tests.integration.web_server import PARAS, Site, serve
from tests.unit.retrieval_fakes import HashEmbedder


@pytest.fixture
def site() -> Iterator[Site]:
    with serve() as running:
        yield running


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    from assistant.cli import feeds, ingest

    monkeypatch.setattr(indexer, "sync", functools.partial(indexer.sync, embedder=HashEmbedder()))
    app = typer.Typer()
    ingest.register(app)
    feeds.register(app)
    return app


def run(cli: typer.Typer, *args: str) -> tuple[int, str, str]:
    out = CliRunner().invoke(cli, list(args))
    return out.exit_code, out.stdout, out.stderr


def sources(cli: typer.Typer) -> dict[str, dict[str, object]]:
    code, stdout, _ = run(cli, "sources", "--json")
    assert code == 0
    return {str(a["url"]): a for a in json.loads(stdout)}


LIMITS = FetchSettings(timeout=30, max_mb=1, max_redirects=3)


def reason(url: str, settings: FetchSettings = LIMITS) -> str:
    with pytest.raises(FetchError) as info:
        fetch(url, settings)
    return info.value.reason


def test_fetch_refusals_are_one_line_each(site: Site) -> None:
    assert reason(f"{site.base}/nothing-here") == "HTTP 404 Not Found"
    assert reason(f"{site.base}/loop1") == "more than 3 redirects"
    assert reason(f"{site.base}/report.pdf").startswith("content type application/pdf is not")
    short = FetchSettings(timeout=0.5)  # the page waits for the test to end: always too slow
    assert reason(f"{site.base}/slow.html", short) == "timed out after 0.5 s (fetch.timeout)"


def test_a_huge_page_is_abandoned_at_the_cap_without_holding_it(site: Site) -> None:
    tracemalloc.start()
    try:
        why = reason(f"{site.base}/big.html")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert why == "page is larger than the 1 MB limit (fetch.max_mb)"
    assert peak < 8 * 1024 * 1024  # the page is 50 MB


def test_ingest_urls_keeps_the_page_and_cites_its_url(site: Site, cli: typer.Typer) -> None:
    a, b, gone = (f"{site.base}{p}" for p in ("/a.html", "/b.html", "/missing.html"))
    code, stdout, stderr = run(cli, "ingest", a, b, gone)
    assert code == 7
    assert f"skipped {gone}: HTTP 404 Not Found" in stderr
    assert stdout.startswith("2 articles (2 added")
    found = sources(cli)
    art = found[a]
    assert (art["title"], art["outlet"], art["byline"]) == (
        "Reservoirs to be rebuilt", "Valley Gazette", "Mira Holt"
    )  # fmt: skip
    assert str(art["published"]).startswith("2022-07-12")
    kept = Path(str(art["path"]))
    settings = load_settings()
    assert kept.parent == settings.sources_dir / "web" and kept.suffix == ".html"
    assert b"<h1>Reservoirs to be rebuilt</h1>" in kept.read_bytes()
    catalog = Catalog(settings.index_db)
    text = catalog.article_text(str(art["id"]))
    catalog.close()
    assert text is not None and PARAS[1] in text
    assert run(cli, "ingest", a)[1].strip() == "No changes: 1 articles unchanged."


def test_feeds_update_ingests_new_entries_and_asks_again_conditionally(
    site: Site, cli: typer.Typer
) -> None:
    rss, atom = f"{site.base}/rss.xml", f"{site.base}/atom.xml"
    assert run(cli, "feeds", "add", rss)[1].strip() == f"Added: {rss} (Valley Gazette)"
    assert run(cli, "feeds", "add", atom)[0] == 0
    assert run(cli, "feeds", "add", f"{site.base}/a.html")[0] == 2  # a page, not a feed
    store = FeedStore(load_settings().feeds_db)
    store.add(f"{site.base}/broken.xml")  # listed, then the server breaks
    store.close()

    code, stdout, stderr = run(cli, "feeds", "update")
    assert code == 7
    lines = stderr.splitlines()
    assert f"{rss}: 2 new, 0 already seen, 1 failed" in lines
    assert f"{atom}: 1 new, 0 already seen" in lines
    assert f"{site.base}/broken.xml: failed: HTTP 500 Internal Server Error" in lines
    assert stdout.startswith("3 articles (3 added")
    found = sources(cli)
    assert str(found[f"{site.base}/b.html"]["title"]) == "Night market returns to the harbour"
    budget = found[f"{site.base}/budget"]  # full text in the feed: its link is never fetched
    assert site.hits["/budget"] == 0
    assert (budget["title"], budget["outlet"], budget["byline"]) == (
        "Budget hearing runs late", "Council Watch", "Ida Vale"
    )  # fmt: skip
    assert str(budget["published"]).startswith("2022-07-18")

    code, _, stderr = run(cli, "feeds", "update")
    assert site.not_modified == 2
    assert f"{rss}: not modified" in stderr.splitlines()
    assert len(sources(cli)) == 3

    site.etag = '"v2"'  # the feed changed: seen entries are skipped, the failed one retried
    pages, gone = site.hits["/a.html"], site.hits["/missing.html"]
    _, _, stderr = run(cli, "feeds", "update")
    assert f"{rss}: 0 new, 2 already seen, 1 failed" in stderr.splitlines()
    assert (site.hits["/a.html"], site.hits["/missing.html"]) == (pages, gone + 1)

    listed = json.loads(run(cli, "feeds", "list", "--json")[1])
    assert [(f["url"], f["seen"]) for f in listed][:2] == [(rss, 2), (atom, 1)]
    assert listed[2]["last_error"].endswith("HTTP 500 Internal Server Error")
    assert run(cli, "feeds", "remove", rss)[0] == 0
    assert run(cli, "feeds", "remove", rss)[0] == 2
    remaining = json.loads(run(cli, "feeds", "list", "--json")[1])
    assert [f["url"] for f in remaining] == [atom, f"{site.base}/broken.xml"]
