"""The top-passage baseline: the first retrieved passage, whole, verified, as the one citation."""

from __future__ import annotations

from assistant.answer.baseline import TopPassageAnswerer
from assistant.answer.events import CitationAdded, Done
from assistant.answer.factory import make_answerer
from assistant.settings import load_settings
from assistant.types import Article, Chunk, Hit

TEXT = "Title line\n\nThe ferry to Holm Island resumed on Monday. Fares stay at four euros.\n"


class Source:
    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = texts

    def article(self, article_id: str) -> Article | None:
        return Article(article_id, article_id) if article_id in self.texts else None

    def article_text(self, article_id: str) -> str | None:
        return self.texts.get(article_id)

    def outlets(self) -> list[str]:
        return []


def hit(article_id: str, text: str, start: int, rank: int) -> Hit:
    chunk = Chunk(f"{article_id}#{rank}", article_id, 0, text, start, start + len(text), "T", "O")
    return Hit(chunk, 1.0 / rank, rank)


def test_quotes_the_top_passage_whole_as_one_verified_citation() -> None:
    passage = TEXT[12:-1]
    other = hit("b.md", "Fares stay at four euros.", TEXT.index("Fares"), 2)
    events = list(
        TopPassageAnswerer().stream(
            "When did it resume?",
            [other, hit("a.md", passage, 12, 1)],
            Source({"a.md": TEXT, "b.md": TEXT}),
        )
    )
    answer = events[-1].answer  # type: ignore[union-attr]
    assert isinstance(events[-1], Done) and not answer.refused
    (citation,) = answer.citations
    assert citation.article_id == "a.md" and citation.quote == passage
    assert TEXT[citation.start : citation.end] == passage
    assert answer.inline_quotes() == {1}  # shown once, in the text
    assert [e.citation for e in events if isinstance(e, CitationAdded)] == [citation]


def test_skips_a_passage_that_does_not_match_its_article() -> None:
    stale = hit("a.md", "Words that are not there.", 0, 1)
    good = hit("a.md", "Fares stay at four euros.", TEXT.index("Fares"), 2)
    answer = TopPassageAnswerer().answer("Q?", [stale, good], Source({"a.md": TEXT}))
    assert answer.citations[0].quote == "Fares stay at four euros."


def test_refuses_only_without_hits() -> None:
    answer = TopPassageAnswerer().answer("Anything?", [], Source({}))
    assert answer.refused and not answer.citations and answer.refusal_reason


def test_the_backend_is_chosen_by_settings() -> None:
    answerer, model = make_answerer(load_settings(answer={"backend": "top-passage"}))
    assert isinstance(answerer, TopPassageAnswerer) and model is None
