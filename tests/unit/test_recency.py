"""Temporal questions: the time a question asks about, and passages re-ranked by it."""

from __future__ import annotations

import pytest

from assistant.retrieval.memory import MemoryIndex
from assistant.retrieval.recency import (
    dates_from,
    event_day,
    rerank_by_time,
    rerank_for_question,
    resolve_hint,
)
from assistant.text.dates import TimeHint, article_date, question_time
from assistant.types import Article, Chunk, Hit


@pytest.mark.parametrize(
    ("question", "as_of", "hint"),
    [
        ("What happened in 2021?", "", ("range", "2021-01-01", "2021-12-31")),
        ("What did he say on September 2, 2021?", "", ("range", "2021-09-02", "2021-09-02")),
        ("Who met between January 2024 and May 2024?", "", ("range", "2024-01-01", "2024-05-31")),
        ("What happened before 2022?", "", ("range", "", "2021-12-31")),
        ("What happened after September 2, 2021?", "", ("range", "2021-09-03", "")),
        ("What did Kerry say this week?", "2021-09-02", ("range", "2021-08-30", "2021-09-05")),
        ("What happened last month?", "2021-09-02", ("range", "2021-08-01", "2021-08-31")),
        ("What happened this week?", "", ("", "", "")),
        ("What did they say on Thursday?", "2021-09-02", ("", "", "")),
        ("Who was elected in January?", "2021-09-02", ("", "", "")),
        ("What happened most recently between China and the US?", "", ("latest", "", "")),
        ("What is the latest on the talks?", "", ("latest", "", "")),
        ("When did the envoys first meet, at the earliest?", "", ("earliest", "", "")),
        ("Where will the summit be held?", "2021-09-02", ("", "", "")),
    ],
)
def test_question_time(question: str, as_of: str, hint: tuple[str, str, str]) -> None:
    found = question_time(question, as_of)
    assert (found.kind, found.since, found.until) == hint


def test_before_an_event_keeps_the_event_to_look_up() -> None:
    hint = question_time("What did China say before the Anchorage meeting?")
    assert (hint.kind, hint.event) == ("before", "the Anchorage meeting")


def _index() -> MemoryIndex:
    docs = [
        ("old", "2019-05-01", "", "The envoys met in Geneva to talk about trade tariffs."),
        ("mid", "2021-03-20", "", "On March 18, 2021, the envoys met in Anchorage for talks."),
        ("new", "2023-06-01", "", "The envoys met again to talk about trade and climate."),
        ("undated", "", "", "The envoys met to talk about trade, and nobody said when."),
        ("guess", "", "", "In the year of the 2023 summit the envoys met to talk trade."),
    ]
    index = MemoryIndex()
    for aid, published, updated, text in docs:
        article = Article(aid, f"{aid}.txt", aid, "Daily", published, updated)
        chunk = Chunk(f"{aid}#0000", aid, 0, text, 0, len(text), aid, "Daily", published)
        index.add(article, text, [chunk])
    return index


def _hits(order: list[str]) -> list[Hit]:
    index = _index()
    by_id = {h.chunk.article_id: h for h in index.retrieve("envoys met talk trade", 10)}
    return [Hit(by_id[a].chunk, 1.0 / r, r) for r, a in enumerate(order, start=1)]


ORDER = ["undated", "old", "new", "guess", "mid"]


def test_a_range_puts_its_articles_first_then_undated_then_the_rest() -> None:
    dates = dates_from(_index())
    ranked = rerank_by_time(_hits(ORDER), TimeHint("range", "2023-01-01", "2023-12-31"), dates)
    assert [h.chunk.article_id for h in ranked] == ["new", "guess", "undated", "old", "mid"]
    assert [h.rank for h in ranked] == [1, 2, 3, 4, 5]
    ranked = rerank_by_time(_hits(["guess", "new"]), TimeHint("range", "2023-06-01"), dates)
    assert [h.chunk.article_id for h in ranked] == ["guess", "new"]  # inferred could be too


def test_latest_prefers_new_articles_but_keeps_relevance() -> None:
    dates = dates_from(_index())
    latest = rerank_for_question(_hits(ORDER), "What happened most recently?", dates)
    ids = [h.chunk.article_id for h in latest]
    assert ids[0] == "new" and ids.index("new") < ids.index("old") and ids[-1] == "undated"
    earliest = rerank_by_time(_hits(ORDER), TimeHint("earliest"), dates)
    ids = [h.chunk.article_id for h in earliest]
    assert ids.index("old") < ids.index("mid") < ids.index("new")


def test_no_hint_changes_nothing() -> None:
    hits = _hits(ORDER)
    assert rerank_by_time(hits, TimeHint(), dates_from(_index())) == hits


def test_before_an_event_is_resolved_from_the_sentence_that_dates_it() -> None:
    index = _index()
    dates = dates_from(index)
    assert event_day("the Anchorage talks", index, dates) == "2021-03-18"
    hint = resolve_hint(question_time("What was said before the Anchorage talks?"), index, dates)
    assert (hint.kind, hint.until) == ("range", "2021-03-17")
    ranked = rerank_by_time(_hits(ORDER), hint, dates)
    assert ranked[0].chunk.article_id == "old"
    assert resolve_hint(TimeHint("before", event="the unknown summit"), index, dates).kind == (
        "before"
    )


def test_inferred_dates_are_never_stated() -> None:
    assert not article_date("", "", "In 2023 the envoys met.").stated


def test_the_service_ranks_passages_by_the_time_a_question_names() -> None:
    from assistant.answer.extractive import ExtractiveAnswerer
    from assistant.answer.service import Assistant
    from assistant.settings import load_settings
    from assistant.types import Filters
    from tests.conftest import SEEDS

    index = MemoryIndex.from_paths([SEEDS], load_settings())
    assistant = Assistant(
        load_settings(), retriever=index, source=index, answerer=ExtractiveAnswerer()
    )
    question = "What did Yang Jiechi say about climate change"
    plain, _ = assistant._retrieve(question, 6, None)
    in_2024, _ = assistant._retrieve(question + " in 2024?", 6, None)
    assert plain[0].chunk.article_id == "003_7d1f377c2dc1bafd.txt"
    assert in_2024[0].chunk.article_id == "001_5afc2ed96cba7e86.txt"
    week = question + " this week?"
    early, _ = assistant._retrieve(week, 6, Filters(as_of="2021-09-03"))
    late, _ = assistant._retrieve(week, 6, Filters(as_of="2024-04-27"))
    assert early[0].chunk.article_id == "003_7d1f377c2dc1bafd.txt"
    assert late[0].chunk.article_id == "001_5afc2ed96cba7e86.txt"
