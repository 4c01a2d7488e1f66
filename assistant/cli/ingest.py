"""The `ingest` and `sources` commands: thin wrappers over the indexer and the catalog."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console

from assistant.cli._common import fail, status, user_errors
from assistant.errors import EXIT_INPUT, EXIT_PARTIAL_INGEST
from assistant.settings import Settings, load_settings
from assistant.text.safe import json_for_terminal, one_line

EPILOG = (
    "Exit codes: 0 ok, 2 bad input (nothing to ingest), 3 no usable index, 5 another ingest"
    " is running, 6 index built with another embedding model, 7 some files failed (the others"
    " are ingested), 10 bad configuration, 11 the Chroma server cannot be reached."
    " `--rebuild` builds the new index aside and swaps it in: until then the old one answers."
)


def register(app: typer.Typer) -> None:
    """Add ``ingest`` and ``sources`` to ``app``."""
    app.command("ingest", epilog=EPILOG)(ingest)
    app.command("sources")(sources)


def ingest(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Files, folders, http(s) URLs or JSONL dumps (.jsonl/.ndjson) to ingest"
            " (default: the seeds folder).",
            show_default=False,
        ),
    ] = None,
    field_map: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="JSONL field names, e.g. title=headline,text=body (fields: text, title, url,"
            " authors, publish_date, outlet; dotted keys reach into objects).",
        ),
    ] = None,
    records: Annotated[
        str,
        typer.Option("--records", help="JSONL: each line holds a list of articles under KEY."),
    ] = "",
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Drop the whole index and ingest from scratch.")
    ] = False,
    prune: Annotated[
        bool, typer.Option("--prune", help="Remove articles whose files no longer exist.")
    ] = False,
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="Check every article's chunks in the vector store and re-create missing ones"
            " from the catalog (no PATH: repair only, ingest nothing new).",
        ),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON on stdout.")
    ] = False,
) -> None:
    """Index new and changed articles; unchanged files are skipped.

    Web pages and dump records are saved in the data dir first (the files quotes point into).
    """
    from assistant.ingest.dumps import parse_map
    from assistant.ingest.sources import gather
    from assistant.retrieval.indexer import sync

    with user_errors():
        settings = load_settings()
        mapping = parse_map(field_map or [])
        given = gather(paths or [], settings, mapping=mapping, records_key=records)
        if given.duplicates:
            status(f"{given.duplicates} duplicate records skipped (same URL or text)")
        err_console = Console(stderr=True, highlight=False)
        _announce_model_preparation(settings)
        targets = given.paths if paths else ([] if repair else [settings.seeds_dir])
        with _ProgressBar(err_console) as bar:
            report = sync(
                targets,
                settings,
                rebuild=rebuild,
                prune=prune,
                repair=repair,
                progress=bar.update,
            )
        report.failed[:0] = given.failed
    if targets and not (prune or repair) and _found_nothing(report):
        from assistant.ingest.loaders import KINDS

        where = ", ".join(str(t) for t in targets)
        raise fail(
            f"no article files found in {where} (expected {', '.join(sorted(KINDS))})",
            EXIT_INPUT,
        )
    for line in report.failed:
        status(f"skipped {line}")
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))  # ASCII: every control escaped
    else:
        typer.echo(report.summary())
    raise typer.Exit(EXIT_PARTIAL_INGEST if report.failed else 0)


def _found_nothing(report: Any) -> bool:
    return not (report.added or report.updated or report.unchanged or report.failed)


def _announce_model_preparation(settings: Settings) -> None:
    if settings.embedding.provider != "minilm":
        return
    try:
        from assistant.retrieval.embeddings import MiniLMOnnxEmbedder
    except ImportError:
        return
    if MiniLMOnnxEmbedder.needs_conversion(settings):
        status("Preparing the embedding model (one time)…")


class _ProgressBar:
    """Files done / total, ETA, tokens embedded per second and the current file, on stderr,
    for an interactive terminal; elsewhere only the notes of a long embedding, one line every
    few seconds."""

    NOTE_EVERY_S = 5.0

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress: Any = None
        self.task: Any = None
        self.noted = -self.NOTE_EVERY_S
        self.tokens_at_start = 0
        self.started = 0.0

    def __enter__(self) -> _ProgressBar:
        if self.console.is_terminal:
            import time

            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            from assistant.retrieval.embeddings import STATS

            self.tokens_at_start, self.started = STATS.tokens, time.perf_counter()
            self.progress = Progress(
                TextColumn("Ingesting"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                TextColumn("{task.fields[rate]}"),
                TextColumn("{task.fields[current]}"),
                console=self.console,
                transient=True,
            )
            self.progress.start()
        return self

    def update(self, done: int, total: int, current: str) -> None:
        if self.progress is None:
            self._note(current)
            return
        from rich.markup import escape

        current = escape(one_line(current))
        rate = self.rate()
        if self.task is None:
            self.task = self.progress.add_task("ingest", total=total, current=current, rate=rate)
        self.progress.update(self.task, completed=done, total=total, current=current, rate=rate)

    def rate(self) -> str:
        import time

        from assistant.retrieval.embeddings import STATS

        tokens = STATS.tokens - self.tokens_at_start
        seconds = time.perf_counter() - self.started
        return f"{tokens / seconds:,.0f} tokens/s" if tokens and seconds > 0 else ""

    def _note(self, current: str) -> None:
        import time

        now = time.monotonic()
        if ": embedding chunks " in current and now - self.noted >= self.NOTE_EVERY_S:
            self.noted = now
            status(current)

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()


def sources(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON list instead of a table.")
    ] = False,
) -> None:
    """List the ingested articles."""
    from assistant.retrieval.catalog import Catalog

    settings = load_settings()
    try:
        catalog = Catalog(settings.index_db, create=False)
    except FileNotFoundError:
        raise fail(f"no index in {settings.data_dir} — run `assistant ingest` first", 3) from None
    try:
        rows = catalog.list_articles()
    finally:
        catalog.close()
    if as_json:
        listing = [{**article.to_dict(), "chunks": chunks} for article, chunks in rows]
        typer.echo(json_for_terminal(json.dumps(listing, indent=2, ensure_ascii=False)))
        return
    _print_table(rows)


def _print_table(rows: list[Any]) -> None:
    """``date`` says how sure the date is; a narrow terminal drops the raw dates and byline
    (``--json`` has all)."""
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    names = ["id", "title", "outlet", "date", "published", "updated", "byline", "chunks"]
    if console.width < 120:
        names = [n for n in names if n not in ("published", "updated", "byline")]
    table = Table(title=f"{len(rows)} articles", title_justify="left")
    for name in names:
        if name in ("published", "updated"):
            table.add_column(name, no_wrap=True, min_width=10)
        elif name == "date":
            table.add_column(name, overflow="fold", max_width=34)
        elif name == "chunks":
            table.add_column(name, justify="right", no_wrap=True)
        else:
            table.add_column(name, overflow="fold", max_width=None if name == "title" else 24)
    for article, chunks in rows:
        values = {**article.to_dict(), "chunks": str(chunks), "date": article.date_text()}
        values["published"] = article.published[:10]
        values["updated"] = article.updated[:10]
        table.add_row(*(escape(one_line(str(values[n]))) if values[n] else "—" for n in names))
    console.print(table)
