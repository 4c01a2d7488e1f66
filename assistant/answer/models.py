"""The tiny chat-model interface LLM answerers use: one streaming method.

Implementations: ``LangChainChatModel`` adapts any LangChain chat model (ChatOpenAI for
OpenAI-compatible endpoints, LangChain's fake chat models in tests); ``LlamaCppChatModel``
runs a GGUF file in-process. Both also implement ``StructuredChatModel`` (JSON-schema output).
Endpoints differ in how they take a schema: OpenAI wants ``json_schema``, llama-cpp-python's
server only ``json_object`` with a ``schema`` field (it answers 500 to the other), some
neither; ``auto`` tries them in that order and remembers, per endpoint, what was accepted.
Provider SDKs are imported only inside the code that uses them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from assistant.errors import EndpointError, InputError

if TYPE_CHECKING:
    from assistant.settings import Settings

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}


class ChatModel(Protocol):
    """Streams the reply to ``messages`` as text pieces. Raises EndpointError on failure."""

    name: str

    def stream(self, messages: list[Message]) -> Iterator[str]: ...


@runtime_checkable
class StructuredChatModel(Protocol):
    """A chat model that can also be asked for JSON matching a schema (streamed as text)."""

    name: str

    def stream(self, messages: list[Message]) -> Iterator[str]: ...

    def stream_structured(
        self, messages: list[Message], schema: dict[str, Any]
    ) -> Iterator[str]: ...


def _secrets_of(model: Any) -> list[str]:
    """The model's key, read only to scrub it from error text; never kept."""
    key: Any = getattr(model, "openai_api_key", None)
    value = key.get_secret_value() if hasattr(key, "get_secret_value") else ""
    return [value] if isinstance(value, str) and value else []


STRUCTURED_MODES = ("json_schema", "json_object", "plain")
# Status codes with which servers reject a response_format they do not support.
_FORMAT_REJECTED = {400, 415, 422, 500, 501}
_ACCEPTED: dict[str, str] = {}  # endpoint → the structured mode it last accepted


def forget_accepted_modes() -> None:
    """For tests: forget what each endpoint accepted."""
    _ACCEPTED.clear()


def _response_format(mode: str, schema: dict[str, Any]) -> dict[str, Any] | None:
    if mode == "json_schema":
        return {
            "type": "json_schema",
            "json_schema": {"name": "cited_answer", "schema": schema, "strict": True},
        }
    if mode == "json_object":
        return {"type": "json_object", "schema": schema}
    return None


class LangChainChatModel:
    """Adapter for a LangChain ``BaseChatModel``; errors are mapped by ``map_error``.

    ``require_finish`` makes a stream that ends without a finish reason an error: an
    OpenAI-compatible server always sends one, so its absence means the stream was cut.
    ``finish_reason`` holds the last stream's ("stop", "length"…), when known; ``mode`` the
    structured mode the last structured request used.
    """

    def __init__(
        self,
        model: Any,
        name: str,
        *,
        base_url: str = "",
        timeout: float | None = None,
        require_finish: bool = False,
        structured: str = "auto",
    ) -> None:
        self._model = model
        self.name = name
        self.base_url = base_url
        self.timeout = timeout
        self.require_finish = require_finish
        self.structured = structured
        self.finish_reason = ""
        self.mode = ""

    def stream(self, messages: list[Message]) -> Iterator[str]:
        return self._mapped(messages, {})

    def stream_structured(self, messages: list[Message], schema: dict[str, Any]) -> Iterator[str]:
        """JSON for ``schema`` in the first mode the endpoint accepts. A mode is given up
        only when the request is rejected before any text arrived."""
        from assistant.answer.endpoint_errors import status_of

        key = f"{self.base_url}|{self.name}"
        if self.structured != "auto":
            modes: tuple[str, ...] = (self.structured,)
        else:
            modes = STRUCTURED_MODES[STRUCTURED_MODES.index(_ACCEPTED.get(key, "json_schema")) :]
        for i, mode in enumerate(modes):
            self.mode = mode
            fmt = _response_format(mode, schema)
            # Sent as extra_body: LangChain routes a top-level response_format through a beta
            # parser that re-emits the whole completion at the end.
            kwargs = {"extra_body": {"response_format": fmt}} if fmt else {}
            received = False
            try:
                for piece in self._raw(messages, kwargs):
                    received = True
                    yield piece
            except Exception as exc:
                last = i == len(modes) - 1
                if received or last or status_of(exc) not in _FORMAT_REJECTED:
                    raise self._mapped_error(exc) from exc
                _ACCEPTED[key] = modes[i + 1]
                continue
            _ACCEPTED[key] = mode
            self._check_finish()
            return

    def _mapped(self, messages: list[Message], kwargs: dict[str, Any]) -> Iterator[str]:
        try:
            yield from self._raw(messages, kwargs)
        except Exception as exc:  # mapped to a one-line EndpointError
            raise self._mapped_error(exc) from exc
        self._check_finish()

    def _mapped_error(self, exc: BaseException) -> Exception:
        from assistant.answer.endpoint_errors import map_error

        return map_error(
            exc, base_url=self.base_url, timeout=self.timeout, secrets=_secrets_of(self._model)
        )

    def _check_finish(self) -> None:
        if self.require_finish and not self.finish_reason:
            where = self.base_url or "the endpoint"
            raise EndpointError(f"the stream from {where} ended without a finish reason")

    def _raw(self, messages: list[Message], kwargs: dict[str, Any]) -> Iterator[str]:
        lc_messages = [(m["role"], m["content"]) for m in messages]
        if "extra_body" in kwargs:
            own = getattr(self._model, "extra_body", None) or {}
            kwargs = {**kwargs, "extra_body": {**own, **kwargs["extra_body"]}}
        self.finish_reason = ""
        for chunk in self._model.stream(lc_messages, **kwargs):
            reason = (getattr(chunk, "response_metadata", None) or {}).get("finish_reason")
            if reason:
                self.finish_reason = str(reason)
            content = chunk.content
            if isinstance(content, str) and content:
                yield content


class Bounded:
    """A model's stream, ended early when the whole reply takes longer than ``deadline_s`` or
    grows past ``max_chars`` (a per-read timeout never fires on a stream that trickles one
    token a second). ``cut`` is then "deadline" or "size"; the model's stream is closed."""

    def __init__(self, pieces: Iterator[str], *, deadline_s: float, max_chars: int) -> None:
        self._pieces = pieces
        self.deadline_s = deadline_s
        self.max_chars = max_chars
        self.cut = ""

    def __iter__(self) -> Iterator[str]:
        started = time.monotonic()
        size = 0
        try:
            for piece in self._pieces:
                room = self.max_chars - size
                if len(piece) > room:
                    self.cut = "size"
                    if room > 0:
                        yield piece[:room]
                    return
                size += len(piece)
                yield piece
                if time.monotonic() - started > self.deadline_s:
                    self.cut = "deadline"
                    return
        finally:
            close = getattr(self._pieces, "close", None)
            if close is not None:
                close()


def make_chat_model(settings: Settings) -> ChatModel:
    """The chat model for ``settings.answer.backend`` ("openai" or "local")."""
    backend = settings.answer.backend
    if backend == "openai":
        from assistant.answer.openai_model import make_openai_model

        return make_openai_model(settings.openai)
    if backend == "local":
        from assistant.answer.local_model import LlamaCppChatModel

        return LlamaCppChatModel.from_settings(settings.local, settings.models_dir)
    raise InputError(f"the {backend} backend has no chat model")
