"""End to end with a real model: SmolLM2-135M behind ``python -m llama_cpp.server`` (the
openai backend over HTTP) and in-process (the local backend).

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

from assistant.answer.events import CitationAdded, Done, Event, TextDelta
from assistant.answer.llm import LLMAnswerer
from assistant.answer.llm_rewrite import LLMRewriter
from assistant.answer.models import ChatModel, Message
from assistant.answer.verify import NOT_FOUND, TOO_SHORT
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
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"llama_cpp.server exited with {proc.returncode}:\n{log.read_text()}"
            )
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    raise RuntimeError(f"llama_cpp.server not ready in {STARTUP_S:g} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    gguf = _gguf()
    port = _free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    args = [
        "--model", str(gguf), "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", "2048", "--n_threads", "2",
    ]  # fmt: skip
    # `python -m llama_cpp.server`, with weight repacking off (see without_weight_repacking).
    launcher = (
        "import runpy, sys\n"
        "from assistant.answer.local_model import without_weight_repacking\n"
        "sys.argv = ['llama_cpp.server', *sys.argv[1:]]\n"
        "with without_weight_repacking():\n"
        "    runpy.run_module('llama_cpp.server', run_name='__main__', alter_sys=True)\n"
    )
    command = [sys.executable, "-c", launcher, *args]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_ready(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


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
    for u in answer.unverified:
        assert u.reason in {NOT_FOUND, TOO_SHORT} or u.reason.startswith("passage [")
    if answer.refused:
        assert answer.refusal_reason and not answer.citations
    else:
        assert answer.citations
    prose = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert "QUOTE [" not in prose and "CANNOT_ANSWER" not in prose


def test_openai_backend_against_llama_cpp_server(llama_server: str) -> None:
    from assistant.answer.openai_model import make_openai_model

    settings = load_settings(
        answer={"backend": "openai", "fallback_to_extractive": False},
        openai={"base_url": llama_server, "model": "smollm2-135m", "timeout": 120,
                "max_tokens": 160},
    )  # fmt: skip
    hits, source = _evidence(settings)
    model = Counting(make_openai_model(settings.openai))
    answerer = LLMAnswerer(model, settings, load_prompts(settings.prompts_dir), None)
    events = list(answerer.stream(QUESTION, hits, source))
    assert model.pieces >= 5, "the reply should arrive in many streamed pieces"
    answer = events[-1].answer  # type: ignore[union-attr]
    deltas = [e for e in events if isinstance(e, TextDelta)]
    if not answer.refused and answer.text.strip():
        assert len(deltas) >= 2
    _check(events, source, "openai", "smollm2-135m")

    rewritten = LLMRewriter(make_openai_model(settings.openai)).rewrite(
        "What did he say about it?", [Turn("Who is Yang Jiechi?", "A Chinese diplomat [1].")]
    )
    assert rewritten and "\n" not in rewritten


def test_local_backend_in_process() -> None:
    _gguf()
    from assistant.answer.local_model import LlamaCppChatModel

    settings = load_settings(
        answer={"backend": "local", "fallback_to_extractive": False},
        local={"n_ctx": 2048, "max_tokens": 160},
    )
    hits, source = _evidence(settings)
    chat = LlamaCppChatModel.from_settings(settings.local)
    model = Counting(chat)
    answerer = LLMAnswerer(model, settings, load_prompts(settings.prompts_dir), None)
    assert answerer.name == "local"
    events = list(answerer.stream(QUESTION, hits, source))
    assert model.pieces >= 5
    _check(events, source, "local", "SmolLM2-135M-Instruct.Q4_1")
