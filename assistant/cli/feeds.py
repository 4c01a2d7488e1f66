"""The `feeds` commands: add, list, update and remove RSS/Atom feeds; update ingests new entries."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from assistant.cli._common import fail, status, user_errors
from assistant.errors import EXIT_INPUT, EXIT_PARTIAL_INGEST
from assistant.settings import load_settings

app = typer.Typer(help="RSS and Atom feeds: new entries are fetched and ingested by `update`.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="feeds")


@app.command("add")
def add(url: Annotated[str, typer.Argument(help="The feed's http(s) URL.")]) -> None:
    """Check that URL is a feed and add it to the list (`feeds update` ingests its entries)."""
    from assistant.ingest.feeds import FeedStore, check_feed
    from assistant.ingest.fetch import is_url

    if not is_url(url):
        raise fail(f"{url}: not an http(s) URL", EXIT_INPUT)
    with user_errors():
        settings = load_settings()
        title = check_feed(url, settings)
        store = FeedStore(settings.feeds_db)
        try:
            added = store.add(url, title)
        finally:
            store.close()
    name = f" ({title})" if title else ""
    typer.echo(f"{'Added' if added else 'Already listed'}: {url}{name}")


@app.command("list")
def list_feeds(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The feeds, when each was last checked and how many entries were taken."""
    from dataclasses import asdict

    from assistant.ingest.feeds import FeedStore

    settings = load_settings()
    store = FeedStore(settings.feeds_db)
    try:
        feeds = store.feeds()
    finally:
        store.close()
    if as_json:
        keep = ("url", "title", "checked_at", "last_error", "seen")
        rows = [{k: v for k, v in asdict(f).items() if k in keep} for f in feeds]
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not feeds:
        typer.echo("No feeds. Add one with `assistant feeds add URL`.")
    for feed in feeds:
        checked = feed.checked_at or "never checked"
        error = f" — last error: {feed.last_error}" if feed.last_error else ""
        typer.echo(f"{feed.url}  {feed.title or '—'}  {feed.seen} entries, {checked}{error}")


@app.command("remove")
def remove(url: Annotated[str, typer.Argument(help="A listed feed's URL.")]) -> None:
    """Stop following a feed (articles already ingested stay in the index)."""
    from assistant.ingest.feeds import FeedStore

    settings = load_settings()
    store = FeedStore(settings.feeds_db)
    try:
        removed = store.remove(url)
    finally:
        store.close()
    if not removed:
        raise fail(f"{url}: not a listed feed (see `assistant feeds list`)", EXIT_INPUT)
    typer.echo(f"Removed: {url}")


@app.command("update")
def update(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Fetch every feed, ingest its new entries; a failing feed is reported and skipped.

    Exit codes: 0 ok, 7 a feed or an entry failed (the others are ingested).
    """
    from assistant.ingest.feeds import FeedStore, update_feeds
    from assistant.retrieval.indexer import sync

    with user_errors():
        settings = load_settings()
        store = FeedStore(settings.feeds_db)
        try:
            results = update_feeds(settings, store)
            paths = [p for r in results for p in r.paths]
            report = sync(paths, settings) if paths else None
            failed_files = set(report.failed) if report else set()
            for result in results:
                store.record(result)
        finally:
            store.close()
    for result in results:
        status(result.line)
        for line in result.entry_failures:
            status(f"skipped {line}")
    for line in sorted(failed_files):
        status(f"skipped {line}")
    problems = any(r.failed or r.entry_failures for r in results) or bool(failed_files)
    if as_json:
        listing = [
            {"url": r.url, "line": r.line, "failed": r.failed, "new": len(r.seen)} for r in results
        ]
        typer.echo(json.dumps({"feeds": listing, "ingest": report.to_dict() if report else None}))
    elif report is not None:
        typer.echo(report.summary())
    else:
        typer.echo("No new entries.")
    raise typer.Exit(EXIT_PARTIAL_INGEST if problems else 0)
