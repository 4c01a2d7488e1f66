"""Honest article dates: stated, update-only, inferred from the text (with its quote), unknown;
stored in the catalog, computed for old catalogs, on every citation, and in date filters."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from assistant.answer.extractive import ExtractiveAnswerer
from assistant.answer.service import Assistant
from assistant.ingest.prepare import prepare
from assistant.retrieval.catalog import MIGRATIONS, Catalog
from assistant.retrieval.memory import MemoryIndex
from assistant.settings import load_settings
from assistant.text.dates import article_date, infer_date
from assistant.types import Citation, Filters
from tests.conftest import SEEDS

LABELS = {
    "000_7da489a1ea8c4972.txt": ("updated", "2021-09-02 (updated 2021-09-03)"),
    "001_5afc2ed96cba7e86.txt": ("inferred", "undated (text suggests 2024)"),
    "002_795a1b929e5acf24.txt": ("unknown", "undated"),
    "003_7d1f377c2dc1bafd.txt": ("inferred", "undated (text suggests 2021-09-02)"),
    "004_f1e306ec60aba5e6.txt": (
        "updated_only",
        "updated 2021-12-01; first publication date unknown",
    ),
}
QUOTES = {
    "001_5afc2ed96cba7e86.txt": "Especially in the year of the 2024 election",
    "003_7d1f377c2dc1bafd.txt": "On September 2, 2021, Member of the Political Bureau",
}


@pytest.fixture(scope="module")
def index() -> MemoryIndex:
    return MemoryIndex.from_paths([SEEDS], load_settings())


@pytest.mark.parametrize("seed", sorted(LABELS))
def test_every_seed_gets_its_date_kind_and_label(seed: str) -> None:
    prepared = prepare(SEEDS / seed, seed, load_settings())
    a = prepared.article
    assert (a.date_kind, a.date_label) == LABELS[seed]
    assert a.label().endswith(LABELS[seed][1])
    if seed in QUOTES:
        assert a.date_quote.startswith(QUOTES[seed])
        start = a.date_quote_start
        assert prepared.text[start : start + len(a.date_quote)] == a.date_quote
    else:
        assert a.date_quote == ""


def test_an_update_date_is_never_shown_as_publication() -> None:
    date = article_date("", "2021-12-01T09:05")
    assert date.kind == "updated_only" and date.lo == "" and date.hi == "2021-12-01"
    assert "first publication date unknown" in date.label


def test_inference_prefers_full_dates_then_months_then_year_spans() -> None:
    assert infer_date("Talks began in 2019. They ended in 2022.").label == (
        "undated (text suggests 2019–2022)"
    )
    assert infer_date("It opened in March 2020 and shut in 2023.").label == (
        "undated (text suggests 2020-03)"
    )
    date = infer_date("Nothing here. On June 3, 2020, a vote was held. In 2021 more.")
    assert (date.label, date.quote) == (
        "undated (text suggests 2020-06-03)",
        "On June 3, 2020, a vote was held.",
    )
    assert infer_date("On Thursday the envoys met.").kind == "unknown"


def test_old_catalogs_without_stored_dates_compute_them_on_read(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(db)
    conn.executescript(MIGRATIONS[0] + "; PRAGMA user_version = 1;")
    text = "Title\n\nIn the year of the 2024 election, the envoy said more.\n"
    conn.execute(
        "INSERT INTO articles VALUES ('a', 'a.txt', 'Title', 'Daily', '', '', '', 'h', ?, 1, 'x')",
        (text,),
    )
    conn.commit()
    conn.close()
    article = Catalog(db, create=False).article("a")
    assert article is not None
    assert (article.date_kind, article.date_label) == ("inferred", "undated (text suggests 2024)")


def test_citations_of_every_answer_carry_date_kind_label_and_speaker(index: MemoryIndex) -> None:
    assistant = Assistant(
        load_settings(), retriever=index, source=index, answerer=ExtractiveAnswerer()
    )
    answer = assistant.ask("What did Wu say about the 2024 election?")
    assert answer.citations
    for c in answer.citations:
        assert c.date_kind and c.date_label == LABELS[c.article_id][1]
        assert c.date_text() == c.date_label
    wu = [c for c in answer.citations if "2024 election" in c.quote]
    assert wu and wu[0].speaker == "Wu"


def test_date_text_falls_back_to_stated_dates() -> None:
    assert Citation(1, "q", "a", 0, 1, updated="2021-12-01").date_text() == (
        "updated 2021-12-01; first publication date unknown"
    )


def test_date_bounds_take_inferred_dates_only_when_asked(index: MemoryIndex) -> None:
    assistant = Assistant(
        load_settings(), retriever=index, source=index, answerer=ExtractiveAnswerer()
    )
    stated = Filters(since="2024-01-01", until="2024-12-31")
    assert assistant._retrieve("Blinken visit China", 5, stated)[0] == []
    hits, _ = assistant._retrieve(
        "Blinken visit China", 5, Filters(since="2024-01-01", include_inferred=True)
    )
    assert hits and {h.chunk.article_id for h in hits} == {"001_5afc2ed96cba7e86.txt"}
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    early, _ = assistant._retrieve(
        "Kerry video meeting", 5, Filters(until="2021-09-30", include_inferred=True)
    )
    assert "003_7d1f377c2dc1bafd.txt" in {h.chunk.article_id for h in early}
    assert "001_5afc2ed96cba7e86.txt" not in {h.chunk.article_id for h in early}


def test_cli_date_flags_reach_the_filters() -> None:
    from assistant.cli.ask import _filters
    from assistant.errors import InputError

    f = _filters([], "2024-01-01", "", "2024-04-27", True)
    assert (f.since, f.as_of, f.include_inferred) == ("2024-01-01", "2024-04-27", True)
    with pytest.raises(InputError, match="--as-of"):
        _filters([], "", "", "April", False)


def test_exports_print_the_date_label() -> None:
    from assistant.sessions.export import citation_markdown

    c = Citation(1, "q", "a", 0, 1, date_label="undated (text suggests 2024)")
    assert "undated (text suggests 2024)" in citation_markdown(c)
