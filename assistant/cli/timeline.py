"""`assistant timeline TOPIC`: the dated events about a topic across the archive, oldest first."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import typer

from assistant.cli._common import status, user_errors
from assistant.errors import InputError


def register(app: typer.Typer) -> None:
    @app.command("timeline")
    def timeline_cmd(
        topic: str = typer.Argument(..., help='What the events are about, e.g. "Kerry climate".'),
        since: str = typer.Option("", "--since", help="Only events on/after YYYY-MM-DD."),
        until: str = typer.Option("", "--until", help="Only events on/before YYYY-MM-DD."),
        outlet: list[str] = typer.Option(
            [], "--outlet", help="Only articles from this outlet (repeatable)."
        ),
        k: int = typer.Option(40, "--k", min=1, max=200, help="Passages to look through."),
        as_json: bool = typer.Option(False, "--json", help="Print the events as JSON."),
    ) -> None:
        """List the dated events about TOPIC, oldest first, each a verified quote with its
        resolved date and outlet; one event reported by several outlets is shown together.
        A date counted from the article's own date ("on Thursday") is marked as inferred."""
        from assistant.answer.timeline import timeline
        from assistant.retrieval.bootstrap import ensure_index
        from assistant.settings import load_settings
        from assistant.types import Filters

        with user_errors():
            for label, value in (("--since", since), ("--until", until)):
                if value:
                    try:
                        date.fromisoformat(value)
                    except ValueError:
                        raise InputError(f"{label} takes YYYY-MM-DD, not {value!r}") from None
            if not topic.strip():
                raise InputError("the topic is empty")
            index = ensure_index(load_settings(), on_status=status)
            filters = Filters(outlets=tuple(outlet), since=since, until=until)
            events = timeline(topic, index.retriever, index.source, filters, k)
        if as_json:
            data = {"topic": topic, "events": [e.to_dict() for e in events]}
            typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
            return
        _print(topic, events)


def _print(topic: str, events: list[Any]) -> None:
    from assistant.text.safe import one_line

    if not events:
        print(f"No dated events about “{one_line(topic)}” in the articles.")
        return
    print(f"Timeline: {one_line(topic)} — {len(events)} event(s), oldest first")
    for event in events:
        outlets = event.outlets()
        together = (
            f" — reported by {len(outlets)}: {', '.join(outlets)}" if len(outlets) > 1 else ""
        )
        print(f"\n{event.value} ({event.precision}){one_line(together)}")
        for entry in event.entries:
            c = entry.citation
            print(f"  {one_line(c.label())}")
            said = f"{c.speaker}: " if c.speaker else ""
            print(f"    {one_line(said)}“{one_line(c.quote)}”")
            mark = entry.mark()
            if mark:
                print(f"    ({one_line(mark)})")
            print(f"    {one_line(c.article_id)} chars {c.start}-{c.end}")
