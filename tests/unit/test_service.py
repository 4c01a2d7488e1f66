"""The answering API: validation, event order, cancellation, errors as Failed events."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

import pytest

from assistant.answer.events import CitationAdded, Done, Event, Failed, Retrieved, TextDelta
from assistant.answer.service import Assistant, clean_question
from assistant.errors import EndpointError, InputError
from assistant.settings import load_settings
from assistant.types import Answer, Article, Chunk, Filters, Hit, Turn

TEXT = "Alpha said the summit will be held in Xi’an in May."
CHUNK = Chunk("a.txt#0000", "a.txt", 0, TEXT, 0, len(TEXT), "T", "Outlet", "2024-04-26")


class Source:
    def article(self, article_id: str) -> Article | None:
        return Article(article_id, article_id, "T", "Outlet", "2024-04-26")

    def article_text(self, article_id: str) -> str | None:
        return TEXT

    def outlets(self) -> list[str]:
        return ["Outlet"]


class Retriever:
    def __init__(self) -> None:
        self.queries: list[str] = []

    def retrieve(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        self.queries.append(query)
        return [Hit(CHUNK, 1.0, 1)]


class ScriptedAnswerer:
    name = "scripted"
    model = "script-1"

    def __init__(
        self,
        pieces: Sequence[str],
        error: Exception | None = None,
        gate: threading.Event | None = None,
    ) -> None:
        self.pieces, self.error, self.gate = pieces, error, gate

    def stream(self, question, hits, source, history=()) -> Iterator[Event]:  # type: ignore[no-untyped-def]
        for piece in self.pieces:
            yield TextDelta(piece)
        if self.error:
            raise self.error
        yield Done(Answer(question=question, text="".join(self.pieces), backend=self.name))


def make(answerer: ScriptedAnswerer, retriever: Retriever | None = None) -> Assistant:
    return Assistant(
        load_settings(), retriever=retriever or Retriever(), source=Source(), answerer=answerer
    )


def test_events_arrive_in_order_and_done_carries_evidence_and_timings() -> None:
    events = list(make(ScriptedAnswerer(["In ", "Xi’an."])).stream("Where is the summit?"))
    assert isinstance(events[0], Retrieved)
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["In ", "Xi’an."]
    done = events[-1]
    assert isinstance(done, Done)
    assert done.answer.text == "In Xi’an."
    assert done.answer.evidence[0].chunk.id == CHUNK.id
    assert {"retrieve_s", "answer_s", "total_s"} <= done.answer.timings.keys()


@pytest.mark.parametrize("bad", ["", "   \n\t ", "\x00\x01\x02", "x" * 1_000_000])
def test_bad_questions_fail_with_one_line(bad: str) -> None:
    events = list(make(ScriptedAnswerer(["x"])).stream(bad))
    assert len(events) == 1 and isinstance(events[0], Failed)
    assert events[0].exit_code == InputError.exit_code
    assert "\n" not in events[0].message


def test_control_characters_are_removed_not_fatal() -> None:
    assert clean_question("Where\x07 is\tthe\x1b summit?", 100) == "Where is the summit?"


def test_endpoint_errors_end_the_stream_with_failed() -> None:
    events = list(make(ScriptedAnswerer(["par"], EndpointError("stream broke"))).stream("q?"))
    assert isinstance(events[-1], Failed)
    assert events[-1].kind == "endpoint"
    assert not any(isinstance(e, Done) for e in events)


def test_ask_raises_the_error_a_failed_event_carries() -> None:
    with pytest.raises(EndpointError, match="stream broke"):
        make(ScriptedAnswerer([], EndpointError("stream broke"))).ask("q?")


def test_cancel_keeps_what_streamed_and_marks_it_stopped() -> None:
    cancel = threading.Event()
    assistant = make(ScriptedAnswerer(["one ", "two ", "three"]))
    seen: list[Event] = []
    for event in assistant.stream("q?", cancel=cancel):
        seen.append(event)
        if isinstance(event, TextDelta):
            cancel.set()
    done = seen[-1]
    assert isinstance(done, Done)
    assert done.answer.stopped
    assert done.answer.text == "one "


def test_follow_ups_are_rewritten_before_retrieval() -> None:
    retriever = Retriever()
    history = [Turn("What did Ned Price say about allies?", "“...” [1]")]
    make(ScriptedAnswerer(["x"]), retriever).ask("What else did he criticize?", history)
    assert retriever.queries == ["What else did Ned Price criticize?"]


def test_citation_events_pass_through() -> None:
    class Citing(ScriptedAnswerer):
        def stream(self, question, hits, source, history=()):  # type: ignore[no-untyped-def]
            from assistant.types import Citation

            c = Citation(1, TEXT, "a.txt", 0, len(TEXT))
            yield CitationAdded(c)
            yield Done(Answer(question=question, text="[1]", citations=[c]))

    events = list(make(Citing([])).stream("q?"))
    assert any(isinstance(e, CitationAdded) for e in events)


def test_a_question_naming_one_outlet_is_answered_from_it() -> None:
    class Recording(Retriever):
        def __init__(self) -> None:
            super().__init__()
            self.filters: list[Filters | None] = []

        def retrieve(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
            self.filters.append(filters)
            return super().retrieve(query, k, filters)

    retriever = Recording()
    make(ScriptedAnswerer(["x"]), retriever).ask("What did the Outlet editorial say?")
    assert retriever.filters == [Filters(outlets=("Outlet",))]
    make(ScriptedAnswerer(["x"]), retriever).ask(
        "What did the Outlet say?", filters=Filters(since="2024-01-01")
    )
    assert retriever.filters[-1] == Filters(since="2024-01-01")
