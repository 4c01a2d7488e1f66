"""A scripted stand-in for ``Assistant``: the eval runner's unit tests need no index."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.errors import AssistantError
from assistant.types import Answer, Article, Chunk, Citation, Hit, Turn

ARTICLES = {
    "a.txt": "Yang Jiechi met John Kerry. The summit will be held in Xi’an in May.",
    "b.txt": "Ned Price said the US would get in step. Cooperation was mentioned 31 times.",
}


class DictSource:
    """ArticleSource over a dict of texts."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = dict(texts)

    def article(self, article_id: str) -> Article | None:
        return Article(id=article_id, path=article_id) if article_id in self.texts else None

    def article_text(self, article_id: str) -> str | None:
        return self.texts.get(article_id)


def cite(article_id: str, quote: str, n: int = 1, *, shift: int = 0) -> Citation:
    """A citation of ``quote`` at its true offsets (moved by ``shift`` to make a bad one)."""
    start = ARTICLES[article_id].index(quote) + shift
    return Citation(n=n, quote=quote, article_id=article_id, start=start, end=start + len(quote))


def hits(*article_ids: str) -> list[Hit]:
    """Retrieved evidence: one whole-article chunk per id, in rank order."""
    out = []
    for rank, aid in enumerate(article_ids, start=1):
        text = ARTICLES[aid]
        chunk = Chunk(id=f"{aid}#0000", article_id=aid, index=0, text=text, start=0, end=len(text))
        out.append(Hit(chunk=chunk, score=1.0 / rank, rank=rank))
    return out


def reply(
    text: str = "",
    citations: Sequence[Citation] = (),
    evidence: Sequence[Hit] = (),
    *,
    refused: bool = False,
) -> Answer:
    return Answer(
        question="",
        text=text,
        citations=list(citations),
        evidence=list(evidence),
        refused=refused,
        refusal_reason="not in the articles" if refused else "",
    )


Script = dict[str, Answer | Exception | Callable[[Sequence[Turn]], Answer]]


@dataclass
class FakeAssistant:
    """Answers from a script keyed by question; records the history each call received."""

    script: Script
    texts: dict[str, str] = field(default_factory=lambda: dict(ARTICLES))
    backend: str = "fake"
    model: str = "scripted"
    settings: Any = None
    calls: list[tuple[str, list[Turn], dict[str, Any]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.source = DictSource(self.texts)
        self.info = {
            "articles": len(self.texts),
            "chunks": len(self.texts),
            "embedding_model": "none",
        }

    def ask(self, question: str, history: Sequence[Turn] = (), **kwargs: Any) -> Answer:
        self.calls.append((question, list(history), kwargs))
        planned = self.script.get(question)
        if planned is None:
            return reply("I cannot answer that from the articles.", refused=True)
        if isinstance(planned, Exception):
            raise planned
        answer = planned(history) if callable(planned) else planned
        answer.question = question
        answer.standalone_question = answer.standalone_question or question
        return answer


def failing(message: str) -> AssistantError:
    return AssistantError(message)
