"""Plain-text shapes found in real collections: YAML front matter in .txt, one-line articles."""

from __future__ import annotations

from pathlib import Path

from assistant.ingest.prepare import prepare
from assistant.settings import load_settings

SENTENCES = (
    "The harbour authority opened a second ferry terminal on Monday, ending years of queues "
    "on the quay. Operators said crossings would run every twenty minutes through the summer"
)


def test_txt_front_matter_is_metadata_not_text(tmp_path: Path) -> None:
    path = tmp_path / "ferry.txt"
    path.write_text(
        "---\ntitle: A second ferry terminal opens\nbyline: Ana Ruiz\nsource: Coast Courier\n"
        f"published: 2022-07-11\nurl: https://example.org/ferry\n---\n{SENTENCES}.\n",
        encoding="utf-8",
    )
    prepared = prepare(path, path.name, load_settings())
    article = prepared.article
    assert (article.title, article.byline, article.outlet, article.published) == (
        "A second ferry terminal opens",
        "Ana Ruiz",
        "Coast Courier",
        "2022-07-11",
    )
    assert article.url == "https://example.org/ferry"
    assert [c.text for c in prepared.chunks] == [SENTENCES + "."]
    assert prepared.dropped[0][1] == "front matter"


def test_txt_opening_with_a_rule_and_no_yaml_is_text(tmp_path: Path) -> None:
    path = tmp_path / "rule.txt"
    path.write_text(f"---\n{SENTENCES}: [not yaml\n---\n", encoding="utf-8")
    prepared = prepare(path, path.name, load_settings())
    assert prepared.article.title == ""
    assert any(SENTENCES in c.text for c in prepared.chunks)


def test_single_line_article_is_body_text(tmp_path: Path) -> None:
    path = tmp_path / "one.txt"
    path.write_text(SENTENCES, encoding="utf-8")  # no final stop, fewer than 30 words
    prepared = prepare(path, path.name, load_settings())
    assert [c.text for c in prepared.chunks] == [SENTENCES]
    assert prepared.article.title == ""


def test_short_single_line_article_is_not_a_heading(tmp_path: Path) -> None:
    line = "Crossings will run every twenty minutes through the summer, operators said"
    path = tmp_path / "short.txt"
    path.write_text(f"Published: 2022-07-11\n{line}\n", encoding="utf-8")
    prepared = prepare(path, path.name, load_settings())
    assert [c.text for c in prepared.chunks] == [line]
    assert prepared.article.published == "2022-07-11"


def test_title_over_a_single_line_paragraph_stays_a_title(tmp_path: Path) -> None:
    path = tmp_path / "titled.txt"
    path.write_text(f"Ferry terminal opens\n\n{SENTENCES}.\n", encoding="utf-8")
    prepared = prepare(path, path.name, load_settings())
    assert prepared.article.title == "Ferry terminal opens"
    assert [c.text for c in prepared.chunks] == [SENTENCES + "."]
