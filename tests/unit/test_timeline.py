"""`assistant timeline`: dated events about a topic, oldest first, verified quotes, the same
event across outlets grouped — on the seeds and on a RealTime QA week."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.answer.timeline import Entry, group, timeline
from assistant.retrieval.memory import MemoryIndex
from assistant.settings import load_settings
from assistant.text.dates import find_dates
from assistant.types import Citation, Filters
from evals.workspace import find_realtimeqa
from tests.conftest import SEEDS

REALTIMEQA = find_realtimeqa()


@pytest.fixture(scope="module")
def seeds() -> MemoryIndex:
    return MemoryIndex.from_paths([SEEDS], load_settings())


def _verified(index: MemoryIndex, c: Citation) -> bool:
    text = index.article_text(c.article_id)
    return text is not None and text[c.start : c.end] == c.quote


def test_kerry_climate_is_one_event_from_both_outlets(seeds: MemoryIndex) -> None:
    events = timeline("Kerry climate", seeds, seeds)
    meeting = [e for e in events if e.value == "2021-09-02"]
    assert len(meeting) == 1
    entries = {e.citation.article_id: e for e in meeting[0].entries}
    assert {"000_7da489a1ea8c4972.txt", "003_7d1f377c2dc1bafd.txt"} <= entries.keys()
    gt, readout = entries["000_7da489a1ea8c4972.txt"], entries["003_7d1f377c2dc1bafd.txt"]
    assert gt.citation.outlet == "Global Times" and "video meeting" in gt.citation.quote
    assert (gt.date.words, gt.from_article) == ("on Thursday", True)
    assert gt.mark().startswith("date inferred from the article")
    assert (readout.date.words, readout.from_article, readout.mark()) == (
        "September 2, 2021",
        False,
        "",
    )
    assert readout.citation.date_label == "undated (text suggests 2021-09-02)"
    assert all(_verified(seeds, e.citation) for e in meeting[0].entries)


def test_events_are_oldest_first_and_bounded(seeds: MemoryIndex) -> None:
    events = timeline("China Russia", seeds, seeds)
    assert len(events) >= 2
    assert [e.lo for e in events] == sorted(e.lo for e in events)
    later = timeline("China Russia", seeds, seeds, Filters(since="2021-09-01"))
    assert later and all(e.hi >= "2021-09-01" for e in later)
    assert len(later) < len(events)
    gt = timeline("China Russia", seeds, seeds, Filters(outlets=("Global Times",)))
    assert gt and all(en.citation.outlet == "Global Times" for e in gt for en in e.entries)


def test_same_day_different_words_stay_apart() -> None:
    def entry(quote: str, article: str) -> Entry:
        date = find_dates(quote, "2021-09-02")[0]
        return Entry(Citation(0, quote, article, 0, len(quote), outlet=article), date, True)

    events = group(
        [
            entry("Envoys met by video link on Thursday to talk about climate.", "a"),
            entry("On Thursday the envoys met by video link about climate.", "b"),
            entry("Markets fell sharply on Thursday in Tokyo trading.", "c"),
        ]
    )
    assert sorted(len(e.entries) for e in events) == [1, 2]


def test_cli_text_and_json(monkeypatch: pytest.MonkeyPatch, seeds: MemoryIndex) -> None:
    from assistant.cli import app
    from assistant.retrieval import bootstrap

    class Index:
        retriever = source = seeds

    monkeypatch.setattr(bootstrap, "ensure_index", lambda *a, **k: Index())
    text = CliRunner().invoke(app, ["timeline", "Kerry climate"])
    assert text.exit_code == 0, text.output
    assert "2021-09-02 (day) — reported by 2: Global Times, unknown outlet" in text.output
    assert "(date inferred from the article: “on Thursday” counted from its date)" in text.output
    data = json.loads(CliRunner().invoke(app, ["timeline", "Kerry climate", "--json"]).output)
    event = next(e for e in data["events"] if e["date"] == "2021-09-02")
    assert {e["citation"]["article_id"][:3] for e in event["entries"]} >= {"000", "003"}
    bad = CliRunner().invoke(app, ["timeline", "Kerry", "--since", "Sept"])
    assert bad.exit_code == 2


@pytest.mark.skipif(REALTIMEQA is None, reason="RealTime QA data not present")
def test_a_realtimeqa_week(tmp_path: Path) -> None:
    from evals.importers.realtimeqa import article_markdown, read_week

    assert REALTIMEQA is not None
    week = read_week(REALTIMEQA, "20220916")
    docs = [d for d in week.docs if "queen" in d.text.lower() and "funeral" in d.text.lower()]
    for doc in docs[:12]:
        (tmp_path / doc.id).write_text(article_markdown(doc), encoding="utf-8")
    index = MemoryIndex.from_paths([tmp_path], load_settings())
    events = timeline("Queen funeral", index, index)
    assert len(events) >= 2
    assert [e.lo for e in events] == sorted(e.lo for e in events)
    for event in events:
        for entry in event.entries:
            assert _verified(index, entry.citation)
            assert entry.citation.outlet and entry.citation.date_kind == "published"
            assert event.lo <= entry.date.lo <= event.hi
