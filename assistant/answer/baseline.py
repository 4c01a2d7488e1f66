"""The floor every answerer must beat: quote the top retrieved passage, whole and verbatim.

It reads nothing of the question beyond what retrieval did, so an answerer's score above this
one is what its own work adds. It refuses only when nothing was retrieved.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from assistant.answer.base import quote_citation, refusal
from assistant.answer.events import CitationAdded, Done, Event, TextDelta
from assistant.retrieval.base import ArticleSource
from assistant.types import Answer, Hit, Turn

NO_HITS = "No passage in the index matches the question."


class TopPassageAnswerer:
    """Backend ``top-passage``: the first retrieved passage verified against its article."""

    name = "top-passage"
    model = "top-passage"

    def stream(
        self,
        question: str,
        hits: Sequence[Hit],
        source: ArticleSource,
        history: Sequence[Turn] = (),
    ) -> Iterator[Event]:
        answer = self.answer(question, hits, source)
        if answer.citations:
            yield TextDelta(answer.text)
            yield CitationAdded(answer.citations[0])
        yield Done(answer)

    def answer(self, question: str, hits: Sequence[Hit], source: ArticleSource) -> Answer:
        for hit in sorted(hits, key=lambda h: h.rank):
            chunk = hit.chunk
            text = source.article_text(chunk.article_id)
            if (
                not chunk.text.strip()
                or text is None
                or text[chunk.start : chunk.end] != chunk.text
            ):
                continue
            citation = quote_citation(1, hit, chunk.start, chunk.end, chunk.text)
            return Answer(
                question=question,
                text=f"“{chunk.text}” [1]",
                citations=[citation],
                backend=self.name,
                model=self.model,
            )
        return refusal(question, NO_HITS, self.name, self.model)
