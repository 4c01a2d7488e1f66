"""Metadata from the text, and its overrides: sidecars, Markdown front matter, HTML meta tags."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.ingest.loaders import Document, LoadError, discover
from assistant.ingest.metadata import extract_metadata
from assistant.ingest.prepare import prepare
from assistant.settings import load_settings
from assistant.text.dates import normalise_date
from assistant.types import Article
from tests.conftest import SEEDS

DATA = Path(__file__).parent / "data" / "ingest"
SEED_002 = "002_795a1b929e5acf24.txt"
PARAGRAPH = (
    "The two envoys met by video link on Thursday and agreed that cooperation must continue. "
    "Officials on both sides said further talks would follow next month."
)


def metadata(text: str, kind: str = "txt") -> Article:
    return extract_metadata(Document(Path(f"a.{kind}"), "a", text, kind, "", {}))


def test_sidecar_overrides_what_the_text_says(tmp_path: Path) -> None:
    path = tmp_path / SEED_002
    shutil.copy(SEEDS / SEED_002, path)
    (tmp_path / f"{SEED_002}.meta.yaml").write_text(
        "outlet: Radio Free Asia\npublished: 2021-02-03\nupdated: 2021-02-04 08:30\n"
        "byline: [Jane Doe, John Roe]\ntags: [ignored]\n",
        encoding="utf-8",
    )
    prepared = prepare(path, SEED_002, load_settings())
    article = prepared.article
    assert article.outlet == "Radio Free Asia"
    assert article.published == "2021-02-03"
    assert article.updated == "2021-02-04T08:30"
    assert article.byline == "Jane Doe, John Roe"
    assert article.title.startswith("China’s Communist Party Cries Out")
    assert {c.outlet for c in prepared.chunks} == {"Radio Free Asia"}
    assert {c.published for c in prepared.chunks} == {"2021-02-03"}
    found, _ = discover([tmp_path])
    assert [i for _, i in found] == [SEED_002]


def test_sidecar_title_override_still_drops_the_headline_line(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(f"Envoys Meet\n\n{PARAGRAPH}\n", encoding="utf-8")
    (tmp_path / "a.txt.meta.yaml").write_text("title: Envoys Meet\n", encoding="utf-8")
    prepared = prepare(path, "a.txt", load_settings())
    assert prepared.article.title == "Envoys Meet"
    assert [c.text for c in prepared.chunks] == [PARAGRAPH]


@pytest.mark.parametrize(
    ("sidecar", "message"),
    [
        ("title: [unclosed\n", "not valid YAML"),
        ("- a list\n", "expected a mapping"),
        ("published: last Tuesday\n", "is not a date"),
    ],
)
def test_bad_sidecar_is_a_load_error(tmp_path: Path, sidecar: str, message: str) -> None:
    path = tmp_path / "a.txt"
    path.write_text(f"Title\n\n{PARAGRAPH}\n", encoding="utf-8")
    (tmp_path / "a.txt.meta.yaml").write_text(sidecar, encoding="utf-8")
    with pytest.raises(LoadError, match=message) as info:
        prepare(path, "a.txt", load_settings())
    assert "a.txt.meta.yaml" in info.value.reason


def test_markdown_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text(
        "---\ntitle: Envoys keep talking\nsource: Example News\ndate: 2021-09-02T21:48:00\n"
        f"author: Jane Doe\n---\n# Envoys keep talking\n\n{PARAGRAPH}\n\n## Next steps\n\n"
        "Talks resume in October.\n",
        encoding="utf-8",
    )
    prepared = prepare(path, "note.md", load_settings())
    article = prepared.article
    assert (article.title, article.outlet, article.published, article.byline) == (
        "Envoys keep talking",
        "Example News",
        "2021-09-02T21:48",
        "Jane Doe",
    )
    assert [c.text for c in prepared.chunks] == [PARAGRAPH, "Talks resume in October."]
    reasons = {prepared.text[s.start : s.end]: r for s, r in prepared.dropped}
    assert reasons["# Envoys keep talking"] == "title"
    assert reasons["## Next steps"] == "heading"
    assert prepared.dropped[0][1] == "front matter"


def test_markdown_thematic_break_is_not_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text(f"---\n\n{PARAGRAPH}\n\n---\n", encoding="utf-8")
    prepared = prepare(path, "note.md", load_settings())
    assert [c.text for c in prepared.chunks] == [PARAGRAPH]


def test_html_through_trafilatura() -> None:
    path = DATA / "climate_talks.html"
    prepared = prepare(path, path.name, load_settings())
    article = prepared.article
    assert article.title == "Envoys agree to keep talking on climate"
    assert article.outlet == "Example News"
    assert article.published == "2021-09-02"
    assert article.byline == "Jane Doe"
    assert "<p>" not in prepared.text
    assert "Home" not in prepared.text
    for chunk in prepared.chunks:
        assert prepared.text[chunk.start : chunk.end] == chunk.text
        assert "All rights reserved" not in chunk.text
        assert not chunk.text.startswith(article.title)
    assert prepared.chunks[0].text.startswith("The two climate envoys met by video link")


def test_pipe_byline_names_outlet_author_and_date() -> None:
    article = metadata(
        f"Talks resume\nBy Li Qiang | China Daily | Published: 2021-09-03 10:00\n\n{PARAGRAPH}\n"
    )
    assert (article.title, article.byline, article.outlet, article.published) == (
        "Talks resume",
        "Li Qiang",
        "China Daily",
        "2021-09-03T10:00",
    )


def test_short_byline_and_labelled_dates() -> None:
    article = metadata(
        f"Talks resume\nBy Jane Doe and John Roe\nPosted: 2 September 2021\n"
        f"Last updated: Sept. 3, 2021 8:24 am\n\n{PARAGRAPH}\n"
    )
    assert article.byline == "Jane Doe and John Roe"
    assert (article.published, article.updated) == ("2021-09-02", "2021-09-03T08:24")
    assert article.outlet == ""


def test_sentence_starting_with_by_is_not_a_byline() -> None:
    article = metadata(f"Talks resume\n\nBy further tapping the potential, {PARAGRAPH}\n")
    assert article.byline == ""


def test_self_citation_needs_two_occurrences() -> None:
    once = f"Talks\n\n{PARAGRAPH} It matters, Li Hua, an expert, told the Daily Planet.\n"
    twice = once + "\nIt is late, Wang Wu, a scholar at a university, told the Daily Planet.\n"
    assert metadata(once).outlet == ""
    assert metadata(twice).outlet == "Daily Planet"


def test_undated_text_stays_undated() -> None:
    article = metadata(f"Talks resume\n\nOn September 2, 2021, {PARAGRAPH}\n")
    assert (article.published, article.updated, article.outlet, article.byline) == ("", "", "", "")


def test_no_title_when_the_file_starts_with_prose() -> None:
    article = metadata(f"{PARAGRAPH}\n\n{PARAGRAPH} Again.\n")
    assert article.title == ""


def test_crlf_file(tmp_path: Path) -> None:
    raw = (
        f"WORLD / ASIA\r\nEnvoys keep talking\r\nPublished: Sep 02, 2021 09:48 PM\r\n\r\n"
        f"{PARAGRAPH}\r\n\r\nPhoto: Xinhua\r\n\r\n{PARAGRAPH} More.\r\nA second line.\r\n"
    )
    path = tmp_path / "a.txt"
    path.write_bytes(raw.encode())
    prepared = prepare(path, "a.txt", load_settings())
    assert prepared.text == raw
    assert prepared.article.title == "Envoys keep talking"
    assert prepared.article.published == "2021-09-02T21:48"
    assert [c.text for c in prepared.chunks] == [
        PARAGRAPH,
        f"{PARAGRAPH} More.\r\nA second line.",
    ]
    for chunk in prepared.chunks:
        assert prepared.text[chunk.start : chunk.end] == chunk.text


def test_bom_file(tmp_path: Path) -> None:
    raw = f"\ufeffEnvoys keep talking\nUpdated: 2021-12-01\n\n{PARAGRAPH}\n"
    path = tmp_path / "a.txt"
    path.write_bytes(raw.encode())
    prepared = prepare(path, "a.txt", load_settings())
    assert prepared.text[0] == "\ufeff"
    assert prepared.article.title == "Envoys keep talking"
    assert prepared.article.updated == "2021-12-01"
    (chunk,) = prepared.chunks
    assert prepared.text[chunk.start : chunk.end] == chunk.text == PARAGRAPH


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("Sep 02, 2021 09:48 PM", "2021-09-02T21:48"),
        ("Sep 03, 2021 12:24 AM", "2021-09-03T00:24"),
        ("2021-12-01 09:05", "2021-12-01T09:05"),
        ("2021-09-02T21:48:00+08:00", "2021-09-02T21:48"),
        ("September 2, 2021", "2021-09-02"),
        ("2 September 2021", "2021-09-02"),
        ("2021/09/02", "2021-09-02"),
        ("2021-02-30", ""),
        ("September 2021", ""),
        ("yesterday", ""),
    ],
)
def test_dates_normalise_to_iso(raw: str, iso: str) -> None:
    assert normalise_date(raw) == iso


def test_title_followed_directly_by_one_line_paragraphs() -> None:
    article = metadata(f"Envoys keep talking\n{PARAGRAPH}\n{PARAGRAPH} Again.\n")
    assert article.title == "Envoys keep talking"


def test_source_line_with_a_date_after_the_outlet() -> None:
    article = metadata(f"Talks\nSource: Xinhua Published: 2021-09-03 10:00\n\n{PARAGRAPH}\n")
    assert (article.outlet, article.published) == ("Xinhua", "2021-09-03T10:00")


def test_prose_starting_with_a_date_word_is_not_metadata() -> None:
    text = f"Talks\n\nReleased on September 2, 2021, the report says more. {PARAGRAPH}\n"
    assert metadata(text).published == ""


def test_broken_front_matter_is_a_load_error(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text(f"---\ntitle: [unclosed\n---\n{PARAGRAPH}\n", encoding="utf-8")
    with pytest.raises(LoadError, match="front matter is not valid YAML at line 3"):
        prepare(path, "note.md", load_settings())
