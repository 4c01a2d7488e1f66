"""Embedders: the hand-built MiniLM ONNX graph against sentence-transformers, the ONNX cache,
batching, the light query path, and the OpenAI-compatible client against loopback servers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from assistant.errors import EndpointError, InputError
from assistant.retrieval import onnx_minilm
from assistant.retrieval.embeddings import (
    MiniLMOnnxEmbedder,
    OpenAIEmbedder,
    SentenceTransformersEmbedder,
    make_embedder,
)
from assistant.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
SEED_TEXT = "\n\n".join(
    p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))
)

TEXTS = [
    "",
    "x",
    "Hello",
    "   padded   text with spaces \n\t ",
    "The quick brown fox jumps over the lazy dog.",
    "Ünïcödé — “curly quotes”, emoji 🚀🔥, CJK 北京欢迎你, Ελληνικά, Кириллица.",
    "Shares rose $1,234.56 (+3.2%) on 2021-09-03; see https://example.com/a?b=c.",
    "Literal special tokens [CLS] and [SEP] and [MASK] inside the text.",
    'Who met whom in Beijing,\nand what did they say about the "toxic" atmosphere?',
    SEED_TEXT[:3000],  # > 256 tokens: truncated
    SEED_TEXT[4000:9000],
    "word " * 400,
]


def _settings(cache: Path, **overrides: object) -> Settings:
    """Settings for module-scoped fixtures, which run before conftest's isolation does."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASSISTANT_CONFIG", str(cache / "no-config.toml"))
        return load_settings(model_cache_dir=cache, **overrides)


@pytest.fixture(scope="module")
def minilm(model_cache: Path) -> MiniLMOnnxEmbedder:
    return MiniLMOnnxEmbedder(_settings(model_cache))


# --- conversion and cache ----------------------------------------------------------------


def test_conversion_is_cached_atomic_and_named_by_weights(tmp_path: Path) -> None:
    settings = load_settings(model_cache_dir=tmp_path / "models")
    assert MiniLMOnnxEmbedder.needs_conversion(settings)
    assert not (tmp_path / "models").exists()  # asking creates nothing

    MiniLMOnnxEmbedder(settings).prepare()

    assert not MiniLMOnnxEmbedder.needs_conversion(settings)
    [onnx_file] = (tmp_path / "models").glob("*.onnx")
    assert onnx_file.name.startswith("all-MiniLM-L6-v2-")
    assert onnx_file.name.endswith(
        f"-g{onnx_minilm.GRAPH_VERSION}-fused{onnx_minilm.FUSION_VERSION}.onnx"
    )
    assert onnx_minilm.data_path(onnx_file).stat().st_size > 80_000_000  # the weights
    assert not list((tmp_path / "models").glob(".*.tmp"))


def test_racing_conversions_leave_one_complete_file(tmp_path: Path) -> None:
    dest = tmp_path / "m.onnx"
    errors: list[BaseException] = []

    def convert() -> None:
        try:
            onnx_minilm.convert(onnx_minilm.source_dir(), dest)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=convert) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    names = sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".json")
    assert names == ["m.onnx", "m.onnx.data"]
    import onnx

    onnx.checker.check_model(str(dest))


@pytest.mark.parametrize("damage", ["garbage graph", "missing weights", "truncated weights"])
def test_damaged_cache_files_are_rebuilt(
    tmp_path: Path, model_cache: Path, minilm: MiniLMOnnxEmbedder, damage: str
) -> None:
    minilm.prepare()
    path = onnx_minilm.onnx_path(tmp_path)
    built = onnx_minilm.onnx_path(model_cache)
    shutil.copy(built, path)
    shutil.copy(onnx_minilm.data_path(built), onnx_minilm.data_path(path))
    settings = load_settings(model_cache_dir=tmp_path)
    assert not MiniLMOnnxEmbedder.needs_conversion(settings)
    if damage == "garbage graph":
        path.write_bytes(b"not an onnx file")
    elif damage == "missing weights":
        onnx_minilm.data_path(path).unlink()
        assert MiniLMOnnxEmbedder.needs_conversion(settings)
    else:
        with onnx_minilm.data_path(path).open("r+b") as fh:
            fh.truncate(1000)
    vector = MiniLMOnnxEmbedder(settings).embed_query("rebuilt")
    np.testing.assert_allclose(vector, minilm.embed_query("rebuilt"), atol=1e-6)


# --- behaviour of the MiniLM embedder ----------------------------------------------------


def test_vectors_are_float32_unit_length(minilm: MiniLMOnnxEmbedder) -> None:
    vectors = minilm.embed_documents(TEXTS)
    assert vectors.dtype == np.float32
    assert vectors.shape == (len(TEXTS), minilm.dim) == (len(TEXTS), 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    query = minilm.embed_query("a question")
    assert query.dtype == np.float32 and query.shape == (384,)


def test_batching_and_length_sorting_keep_order(minilm: MiniLMOnnxEmbedder) -> None:
    singles = np.stack([minilm.embed_query(t) for t in TEXTS])
    for sort in (True, False):
        embedder = MiniLMOnnxEmbedder(load_settings(), batch_size=3, sort_by_length=sort)
        np.testing.assert_allclose(embedder.embed_documents(TEXTS), singles, atol=2e-5)


def test_empty_input_and_token_counts(minilm: MiniLMOnnxEmbedder) -> None:
    assert minilm.embed_documents([]).shape == (0, 384)
    assert minilm.count_tokens([]) == 0
    assert minilm.count_tokens(["Hello"]) == 3  # [CLS] hello [SEP]
    assert minilm.count_tokens(["word " * 400]) == 256  # truncated like sentence-transformers
    assert minilm.count_tokens(["Hello", "Hello"]) == 6


def test_similar_texts_are_closer_than_unrelated_ones(minilm: MiniLMOnnxEmbedder) -> None:
    a, b, c = minilm.embed_documents(
        [
            "China urged the US to improve relations.",
            "Beijing asks Washington to mend ties.",
            "The recipe needs two eggs and flour.",
        ]
    )
    assert float(a @ b) > float(a @ c) + 0.2


def test_query_path_imports_no_torch_or_langchain(minilm: MiniLMOnnxEmbedder) -> None:
    minilm.prepare()  # the subprocess finds the converted file in the same cache (conftest)
    code = (
        "import sys\n"
        "from assistant.settings import load_settings\n"
        "from assistant.retrieval.embeddings import make_embedder\n"
        "e = make_embedder(load_settings())\n"
        "assert e.embed_query('hello').shape == (384,)\n"
        "heavy = {'torch', 'sentence_transformers', 'transformers', 'langchain_core', 'openai'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    env = {k: v for k, v in os.environ.items() if k.startswith(("ASSISTANT_", "PATH", "HOME"))}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "HF_HUB_OFFLINE": "1"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert done.stderr == ""  # prints nothing


def test_langchain_adapter_returns_lists(minilm: MiniLMOnnxEmbedder) -> None:
    from assistant.retrieval.embeddings import LangChainEmbeddings

    lc = LangChainEmbeddings(minilm)
    docs = lc.embed_documents(["one", "two"])
    assert len(docs) == 2 and len(docs[0]) == 384 and isinstance(docs[0][0], float)
    assert lc.embed_query("one") == pytest.approx(docs[0], abs=1e-5)


# --- agreement with sentence-transformers ------------------------------------------------


@pytest.fixture(scope="module")
def st_model() -> object:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(onnx_minilm.source_dir()), device="cpu")


@pytest.mark.slow
def test_onnx_graph_matches_sentence_transformers(
    minilm: MiniLMOnnxEmbedder, st_model: object
) -> None:
    expected = st_model.encode(TEXTS, normalize_embeddings=True)  # type: ignore[attr-defined]
    one_padded_batch = MiniLMOnnxEmbedder(load_settings(), batch_size=64, sort_by_length=False)
    for embedder in (minilm, one_padded_batch):
        cosines = np.sum(embedder.embed_documents(TEXTS) * expected, axis=1)
        assert cosines.min() > 0.9999, cosines
    tokens = st_model.tokenize(TEXTS)["attention_mask"].sum()  # type: ignore[attr-defined]
    assert minilm.count_tokens(TEXTS) == int(tokens)


@pytest.mark.slow
def test_sentence_transformers_embedder_on_a_local_dir(
    minilm: MiniLMOnnxEmbedder, st_model: object
) -> None:
    embedder = SentenceTransformersEmbedder(onnx_minilm.source_dir(), batch_size=4)
    assert embedder.name == f"st:{onnx_minilm.source_dir().resolve()}"
    assert embedder.dim == 384
    vectors = embedder.embed_documents(TEXTS[:6])
    np.testing.assert_allclose(vectors, minilm.embed_documents(TEXTS[:6]), atol=1e-4)
    assert embedder.count_tokens(["Hello"]) == 3


# --- make_embedder -----------------------------------------------------------------------


def test_make_embedder_picks_the_provider(tmp_path: Path) -> None:
    assert isinstance(make_embedder(load_settings()), MiniLMOnnxEmbedder)
    st = make_embedder(
        load_settings(embedding={"provider": "sentence-transformers", "model_path": str(tmp_path)})
    )
    assert isinstance(st, SentenceTransformersEmbedder) and st.name == f"st:{tmp_path.resolve()}"
    oa = make_embedder(
        load_settings(
            embedding={"provider": "openai", "model": "m", "base_url": "http://h:1/v1/"},
        )
    )
    assert isinstance(oa, OpenAIEmbedder) and oa.name == "openai:m@http://h:1/v1"


def test_make_embedder_openai_falls_back_to_the_chat_endpoint() -> None:
    settings = load_settings(
        embedding={"provider": "openai", "model": "m"},
        openai={"base_url": "http://chat:9/v1", "api_key": "sk-chat"},
    )
    embedder = make_embedder(settings)
    assert embedder.name == "openai:m@http://chat:9/v1"


@pytest.mark.parametrize(
    "embedding",
    [
        {"provider": "sentence-transformers"},
        {"provider": "sentence-transformers", "model_path": "/no/such/dir"},
        {"provider": "openai"},
    ],
)
def test_make_embedder_refuses_incomplete_settings(embedding: dict[str, str]) -> None:
    with pytest.raises(InputError):
        make_embedder(load_settings(embedding=embedding))


# --- OpenAI-compatible endpoint on loopback ----------------------------------------------

DIM = 8


def _fake_vector(text: str) -> list[float]:
    """Deterministic, not normalised: the client must normalise."""
    rng = np.random.default_rng(sum(text.encode()) + len(text))
    return [float(x) for x in rng.normal(size=DIM) * 3.0]


class _Server:
    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.requests: list[dict[str, object]] = []
        self.release = threading.Event()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                body["authorization"] = self.headers.get("Authorization", "")
                server.requests.append(body)
                if server.mode == "hang":
                    server.release.wait(10)
                    return
                if server.mode == "ok" and self.path == "/v1/embeddings":
                    self._reply(200, server.embeddings(body))
                elif server.mode == "401":
                    self._reply(401, {"error": {"message": f"bad key {body['authorization']}"}})
                elif server.mode == "429":
                    self._reply(429, {"error": {"message": "slow down"}})
                else:
                    self._reply(500, {"error": {"message": "model crashed"}})

            def _reply(self, status: int, payload: dict[str, object]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    @staticmethod
    def embeddings(body: dict[str, object]) -> dict[str, object]:
        texts = body["input"]
        assert isinstance(texts, list)
        data = [
            {"object": "embedding", "index": i, "embedding": _fake_vector(t)}
            for i, t in enumerate(texts)
        ]
        data.reverse()  # out of order on purpose: the client sorts by index
        usage = {"prompt_tokens": 1, "total_tokens": 1}
        return {"object": "list", "data": data, "model": body["model"], "usage": usage}


Serve = Callable[[str], _Server]


@pytest.fixture
def serve() -> Iterator[Serve]:
    started: list[_Server] = []

    def start(mode: str) -> _Server:
        server = _Server(mode)
        server.thread.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.release.set()
        server.httpd.shutdown()
        server.httpd.server_close()


def test_openai_embedder_batches_sorts_and_normalises(serve: Serve) -> None:
    server = serve("ok")
    embedder = OpenAIEmbedder(server.base_url, "emb-model", "sk-test", timeout=5, batch_size=2)
    texts = ["alpha", "beta", "gamma", "delta", "epsilon"]
    vectors = embedder.embed_documents(texts)
    assert vectors.shape == (5, DIM) and vectors.dtype == np.float32
    expected = np.array([_fake_vector(t) for t in texts], dtype=np.float32)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(vectors, expected, atol=1e-6)
    assert [r["input"] for r in server.requests] == [
        ["alpha", "beta"],
        ["gamma", "delta"],
        ["epsilon"],
    ]
    assert server.requests[0]["model"] == "emb-model"
    assert server.requests[0]["authorization"] == "Bearer sk-test"
    assert embedder.dim == DIM and embedder.count_tokens(texts) == 0
    np.testing.assert_allclose(embedder.embed_query("beta"), expected[1], atol=1e-6)


def test_openai_embedder_learns_its_dimension_with_one_request(serve: Serve) -> None:
    server = serve("ok")
    embedder = OpenAIEmbedder(server.base_url, "m", timeout=5)
    assert embedder.dim == DIM
    assert len(server.requests) == 1
    assert server.requests[0]["authorization"] == "Bearer not-needed"


@pytest.mark.parametrize(
    ("mode", "fragment"),
    [("500", "HTTP 500"), ("401", "rejected the API key"), ("429", "rate limiting")],
)
def test_openai_embedder_http_errors_are_one_line(serve: Serve, mode: str, fragment: str) -> None:
    server = serve(mode)
    embedder = OpenAIEmbedder(server.base_url, "m", "sk-secret-123", timeout=5)
    with pytest.raises(EndpointError) as info:
        embedder.embed_documents(["x"])
    message = str(info.value)
    assert fragment in message and server.base_url in message
    assert "\n" not in message and "sk-secret-123" not in message
    assert len(server.requests) == 1  # no retries


def test_openai_embedder_times_out(serve: Serve) -> None:
    server = serve("hang")
    embedder = OpenAIEmbedder(server.base_url, "m", "sk-secret-123", timeout=0.5)
    started = time.monotonic()
    with pytest.raises(EndpointError, match=r"did not answer within 0\.5 s"):
        embedder.embed_query("x")
    assert time.monotonic() - started < 5


def test_openai_embedder_connection_refused() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    embedder = OpenAIEmbedder(f"http://127.0.0.1:{port}/v1", "m", "sk-secret-123", timeout=2)
    with pytest.raises(EndpointError, match="cannot connect") as info:
        embedder.embed_query("x")
    assert "sk-secret-123" not in str(info.value)
