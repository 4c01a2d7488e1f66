"""Quote verification: the model's words are found, but the article's own characters are kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answer.verify import (
    NOT_FOUND,
    TOO_SHORT,
    Claim,
    clean_quote,
    locate,
    normalise,
    verify_quotes,
)
from assistant.types import Article, Chunk, Hit

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
SEED = "000_7da489a1ea8c4972"


class Source:
    """A minimal ArticleSource over texts held in memory."""

    def __init__(self, texts: dict[str, str], articles: dict[str, Article] | None = None) -> None:
        self.texts = texts
        self.articles = articles or {}

    def article(self, article_id: str) -> Article | None:
        return self.articles.get(article_id)

    def article_text(self, article_id: str) -> str | None:
        return self.texts.get(article_id)


def paragraph_hits(article_id: str, text: str, needles: list[str], **meta: str) -> list[Hit]:
    """One hit per paragraph containing each needle, offsets into ``text``."""
    hits = []
    for rank, needle in enumerate(needles, start=1):
        at = text.index(needle)
        start = text.rfind("\n\n", 0, at)
        start = 0 if start < 0 else start + 2
        end = text.find("\n\n", at)
        end = len(text) if end < 0 else end
        chunk = Chunk(
            f"{article_id}#{rank:04d}", article_id, rank, text[start:end], start, end, **meta
        )
        hits.append(Hit(chunk, 1.0 / rank, rank))
    return hits


@pytest.fixture
def seed() -> tuple[str, str]:
    return SEED, (SEEDS / f"{SEED}.txt").read_bytes().decode("utf-8")


def span_of(quote: str, hit: Hit, text: str) -> tuple[int, int] | None:
    return locate(quote, hit.chunk.text, hit.chunk.start, text)


def test_exact_quote_in_its_passage(seed: tuple[str, str]) -> None:
    aid, text = seed
    (hit,) = paragraph_hits(aid, text, ["Yang said that China-US confrontation"])
    quote = "China-US confrontation does good to no one"
    span = span_of(quote, hit, text)
    assert span is not None
    assert text[span[0] : span[1]] == quote
    assert hit.chunk.start <= span[0] < span[1] <= hit.chunk.end


def test_straight_apostrophe_finds_curly_and_keeps_the_article_characters(
    seed: tuple[str, str],
) -> None:
    aid, text = seed
    (hit,) = paragraph_hits(aid, text, ["interfere in China’s domestic affairs"])
    span = span_of("interfere in China's domestic affairs and damage China's interests", hit, text)
    assert span is not None
    kept = text[span[0] : span[1]]
    assert kept == "interfere in China’s domestic affairs and damage China’s interests"


def test_curly_quotes_find_straight_ones(seed: tuple[str, str]) -> None:
    aid, text = seed
    (hit,) = paragraph_hits(aid, text, ['put a lid on its "toxic" political'])
    span = span_of("put a lid on its “toxic” political atmosphere at home", hit, text)
    assert span is not None
    assert text[span[0] : span[1]] == 'put a lid on its "toxic" political atmosphere at home'


def test_whitespace_runs_and_newlines_are_forgiven() -> None:
    text = "Intro.\n\nThe two sides agreed\n   to  keep talking\tabout climate.\n\nEnd."
    hit = paragraph_hits("a", text, ["The two sides"])[0]
    span = span_of("the two sides agreed to keep talking about climate", hit, text)
    assert span is not None
    assert text[span[0] : span[1]] == "The two sides agreed\n   to  keep talking\tabout climate"


@pytest.mark.parametrize(
    "quote",
    [
        "relations - and trade - will improve soon",
        "relations – and trade – will improve soon",
        "relations—and trade—will improve soon",
        "relations ‑ and trade ‑ will improve soon",
    ],
)
def test_dashes_of_any_kind_and_spacing_match(quote: str) -> None:
    text = "He said relations — and trade — will improve soon, officials said."
    hit = paragraph_hits("a", text, ["He said"])[0]
    span = span_of(quote, hit, text)
    assert span is not None
    assert text[span[0] : span[1]] == "relations — and trade — will improve soon"


def test_ellipsis_forms_match_and_model_added_ellipses_are_stripped() -> None:
    text = "The talks were long… but useful for both sides, the envoy said."
    hit = paragraph_hits("a", text, ["The talks"])[0]
    span = span_of('..."The talks were long... but useful for both sides"…', hit, text)
    assert span is not None
    assert text[span[0] : span[1]] == "The talks were long… but useful for both sides"


def test_case_is_ignored_only_as_a_last_resort() -> None:
    text = "In the passage: THE TALKS WERE VERY USEFUL.\n\nLater: the talks were very useful."
    hit = paragraph_hits("a", text, ["In the passage"])[0]
    span = span_of("the talks were very useful", hit, text)
    assert span is not None
    # The exact-case occurrence elsewhere in the article wins over a case-folded one here.
    assert span[0] == text.index("the talks were very useful")
    folded = span_of("The Talks Were Very Useful", hit, text)
    assert folded is not None
    assert text[folded[0] : folded[1]] == "THE TALKS WERE VERY USEFUL"


def test_quote_outside_the_cited_passage_is_found_in_the_article(seed: tuple[str, str]) -> None:
    aid, text = seed
    (hit,) = paragraph_hits(aid, text, ["Kerry is visiting China"])
    quote = "the wrong beliefs on China-US relations were absurd and dangerous"
    span = span_of(quote, hit, text)
    assert span is not None
    assert text[span[0] : span[1]] == quote
    assert span[0] > hit.chunk.end


def test_passage_offsets_that_disagree_with_the_article_fall_back_to_the_article() -> None:
    text = "Alpha beta gamma delta epsilon zeta."
    span = locate("beta gamma delta epsilon", "something else entirely", 3, text)
    assert span == (6, 30)


@pytest.mark.parametrize("quote", ["China", "US said", "a b c d", "  ...  ", '"toxic"'])
def test_short_quotes_are_not_verified(quote: str, seed: tuple[str, str]) -> None:
    aid, text = seed
    (hit,) = paragraph_hits(aid, text, ["toxic"])
    assert span_of(quote, hit, text) is None


def test_fabricated_quote_is_not_found(seed: tuple[str, str]) -> None:
    aid, text = seed
    (hit,) = paragraph_hits(aid, text, ["toxic"])
    assert span_of("China and the US signed a new climate treaty", hit, text) is None


def test_matches_must_start_and_end_on_word_edges() -> None:
    text = "Officials said the talks were useful and long."
    hit = paragraph_hits("a", text, ["Officials"])[0]
    assert span_of("he talks were useful and", hit, text) is None
    assert span_of("the talks were useful and lon", hit, text) is None


def test_clean_quote_strips_marks_and_punctuation_only_at_the_ends() -> None:
    assert clean_quote(" …“It’s a deal—done,” he said. ") == "It’s a deal—done,” he said"


def test_normalised_index_map_points_into_the_original() -> None:
    original = "A  “quote” — with…\n\n dashes ‑ and\u00adsoft"
    norm = normalise(original)
    assert norm.text == 'A "quote"-with... dashes-andsoft'
    assert len(norm.starts) == len(norm.ends) == len(norm.text)
    for i, ch in enumerate(norm.text):
        piece = original[norm.starts[i] : norm.ends[i]]
        assert len(piece) == 1
        if ch.isalnum():
            assert piece == ch


# ---- verify_quotes ----------------------------------------------------------------------


def test_verify_quotes_builds_citations_with_metadata_and_reasons(seed: tuple[str, str]) -> None:
    aid, text = seed
    hits = paragraph_hits(
        aid,
        text,
        ["Yang said that China-US confrontation", "Qin Gang said on Tuesday"],
        title="China urges US",
        outlet="Global Times",
        published="2021-09-02",
    )
    claims = [
        Claim(2, "the wrong beliefs on China-US relations were absurd and dangerous"),
        Claim(7, "this passage number was never shown to the model"),
        Claim(1, "China"),
        Claim(1, "Yang promised to visit Washington next spring"),
        Claim(1, "China-US confrontation does good to no one"),
        Claim(2, "the wrong beliefs on China-US relations were absurd and dangerous"),
    ]
    result = verify_quotes([*claims[:5], (2, claims[5].quote)], hits, Source({aid: text}))
    assert [c.n for c in result.citations] == [1, 2]
    first, second = result.citations
    assert first.quote == "the wrong beliefs on China-US relations were absurd and dangerous"
    assert (first.outlet, first.title, first.published) == (
        "Global Times",
        "China urges US",
        "2021-09-02",
    )
    assert first.chunk_id == hits[1].chunk.id and second.chunk_id == hits[0].chunk.id
    for c in result.citations:
        assert text[c.start : c.end] == c.quote
    assert result.by_passage == {2: [1], 1: [2]}
    reasons = [(u.passage, u.reason) for u in result.unverified]
    assert reasons == [(7, "passage [7] does not exist"), (1, TOO_SHORT), (1, NOT_FOUND)]


def test_a_quote_from_another_passage_is_credited_to_where_it_really_is(
    seed: tuple[str, str],
) -> None:
    aid, text = seed
    other_text = "The ministry said both sides would meet again in the autumn."
    hits = [
        paragraph_hits("other", other_text, ["The ministry"])[0],
        paragraph_hits(aid, text, ["Yang said that China-US confrontation"])[0],
    ]
    result = verify_quotes(
        [Claim(1, "China-US confrontation does good to no one")],
        hits,
        Source({aid: text, "other": other_text}),
    )
    (citation,) = result.citations
    assert citation.article_id == aid
    assert text[citation.start : citation.end] == citation.quote


def test_metadata_missing_on_the_chunk_comes_from_the_article() -> None:
    text = "Officials said the talks were long but useful."
    hits = paragraph_hits("a", text, ["Officials"])
    article = Article("a", "a.txt", title="Talks", outlet="Daily", published="2024-06-01")
    result = verify_quotes(
        [Claim(1, "the talks were long but useful")], hits, Source({"a": text}, {"a": article})
    )
    (c,) = result.citations
    assert (c.title, c.outlet, c.published) == ("Talks", "Daily", "2024-06-01")


def test_missing_article_text_is_reported() -> None:
    text = "Officials said the talks were long but useful."
    hits = paragraph_hits("a", text, ["Officials"])
    result = verify_quotes([Claim(1, "the talks were long but useful")], hits, Source({}))
    assert not result.citations
    assert result.unverified[0].reason == "the article's text is not available"


def test_inline_quotes_in_prose_must_be_in_the_evidence(seed: tuple[str, str]) -> None:
    from assistant.answer.verify import INLINE_NOT_FOUND, check_inline_quotes

    aid, text = seed
    hits = paragraph_hits(aid, text, ["Kerry is visiting China"])
    prose = (
        "Qin said the beliefs were “absurd and dangerous” [1], and that "
        '"the wrong beliefs on China-US relations were absurd" but also that '
        "“the summit will happen next spring in Beijing”."
    )
    missing = check_inline_quotes(prose, hits, Source({aid: text}))
    assert [(u.quote, u.passage, u.reason) for u in missing] == [
        ("the summit will happen next spring in Beijing", None, INLINE_NOT_FOUND)
    ]
