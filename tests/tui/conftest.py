"""Fakes for the chat app tests: a seed-backed article source and a scripted answerer, so
streaming, stopping and errors are deterministic and no index or model is needed."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from assistant.answer.events import CitationAdded, Done, Event, TextDelta
from assistant.answer.service import Assistant, IndexInfo
from assistant.errors import AssistantError
from assistant.retrieval.base import ArticleSource
from assistant.sessions.store import SessionStore
from assistant.settings import Settings, load_settings
from assistant.types import Answer, Article, Citation, Filters, Hit, Span, Turn
from tests.conftest import SEEDS
from tui.app import ChatApp, make_app

SUMMIT_ID = "001_5afc2ed96cba7e86"
SUMMIT_QUOTE = (
    "work together for the success of the 14th China-US Tourism Leadership Summit "
    "to be held in Xi’an in May"
)
SUMMIT_QUESTION = "Where will the 14th China-US Tourism Leadership Summit be held?"
CONSENSUS_QUOTE = "the five-point consensus reached by the two countries during Blinken’s visit"
ANSWER_TEXT = (
    "Xi’an [1]\n\nThe two sides will “" + SUMMIT_QUOTE + "” [1], under "
    "a consensus reached during the visit [2]."
)
FIXED_NOW = "2024-05-01T09:30:00+00:00"


class SeedSource:
    """Articles straight from seeds/, with fixed metadata (the real loaders are not needed)."""

    def article(self, article_id: str) -> Article | None:
        path = SEEDS / f"{article_id}.txt"
        if not path.exists():
            return None
        title = self.article_text(article_id).splitlines()[0].removeprefix("Home » ")  # type: ignore[union-attr]
        return Article(
            article_id, str(path), title=title, outlet="Test Outlet", published="2023-06-20"
        )

    def article_text(self, article_id: str) -> str | None:
        path = SEEDS / f"{article_id}.txt"
        return path.read_bytes().decode("utf-8") if path.exists() else None

    def outlets(self) -> list[str]:
        return ["Test Outlet"]


class NoRetriever:
    def retrieve(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        return []


def summit_citation(source: SeedSource, n: int = 1, quote: str = SUMMIT_QUOTE) -> Citation:
    text = source.article_text(SUMMIT_ID) or ""
    start = text.index(quote)
    article = source.article(SUMMIT_ID)
    assert article is not None
    return Citation(
        n=n,
        quote=quote,
        article_id=SUMMIT_ID,
        start=start,
        end=start + len(quote),
        title=article.title,
        outlet=article.outlet,
        published=article.published,
    )


@dataclass
class ScriptedAnswerer:
    """Yields the answer in pieces with small sleeps, then two real citations, then Done.

    The answer has the shared shape: the short answer first (``Xi’an [1]``), quote [1] inline
    in the text, quote [2] only in its citation. ``error`` makes it raise (the Assistant
    turns that into Failed); ``gate`` holds it after the first piece until set, so a test can
    press Esc while it runs.
    """

    pieces: Sequence[str] = (
        "Xi’an [1]",
        ANSWER_TEXT.removeprefix("Xi’an [1]").removesuffix(" [2]."),
        " [2].",
    )
    delay: float = 0.01
    error: AssistantError | None = None
    gate: threading.Event | None = None
    quotes: Sequence[str] = (SUMMIT_QUOTE, CONSENSUS_QUOTE)
    name: str = "scripted"
    model: str = "fake-1"
    calls: list[str] = field(default_factory=list)

    def stream(
        self,
        question: str,
        hits: Sequence[Hit],
        source: ArticleSource,
        history: Sequence[Turn] = (),
    ) -> Iterator[Event]:
        self.calls.append(question)
        if self.error is not None:
            raise self.error
        source_ = SeedSource()
        citations = [summit_citation(source_, n, q) for n, q in enumerate(self.quotes, 1)]
        text = ""
        for i, piece in enumerate(self.pieces):
            time.sleep(self.delay)
            text += piece
            yield TextDelta(piece)
            if i == 0 and self.gate is not None:
                self.gate.wait(10)
        for citation in citations:
            yield CitationAdded(citation)
        first = citations[0]
        at = first.quote.find("Xi’an")
        short = Span("Xi’an", 1, SUMMIT_ID, first.start + at, first.start + at + 5)
        yield Done(
            Answer(
                question=question,
                text=text,
                citations=citations,
                backend=self.name,
                model=self.model,
                short_answer=short if at >= 0 else None,
                confidence=0.9,
            )
        )


@pytest.fixture
def settings() -> Settings:
    return load_settings()


@pytest.fixture
def store(tmp_path: Path) -> SessionStore:
    return SessionStore(tmp_path / "sessions.sqlite3", clock=lambda: FIXED_NOW)


def fake_assistant(settings: Settings, answerer: ScriptedAnswerer | None = None) -> Assistant:
    return Assistant(
        settings,
        retriever=NoRetriever(),
        source=SeedSource(),
        answerer=answerer or ScriptedAnswerer(),
        info=IndexInfo(articles=5, chunks=61),
    )


@pytest.fixture
def answerer() -> ScriptedAnswerer:
    return ScriptedAnswerer()


@pytest.fixture
def app(
    settings: Settings, store: SessionStore, answerer: ScriptedAnswerer, tmp_path: Path
) -> ChatApp:
    exports = tmp_path / "exports"
    exports.mkdir()
    return make_app(
        assistant=fake_assistant(settings, answerer),
        store=store,
        settings=settings,
        export_dir=exports,
    )
