"""The tiny chat-model interface LLM answerers use: one streaming method.

Implementations: ``LangChainChatModel`` adapts any LangChain chat model (ChatOpenAI for
OpenAI-compatible endpoints, LangChain's fake chat models in tests); ``LlamaCppChatModel``
runs a GGUF file in-process. Both also implement ``StructuredChatModel`` (JSON-schema output).
Provider SDKs are imported only inside the code that uses them.
"""

from __future__ import annotations

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


class LangChainChatModel:
    """Adapter for a LangChain ``BaseChatModel``; errors are mapped by ``map_error``.

    ``require_finish`` makes a stream that ends without a finish reason an error: an
    OpenAI-compatible server always sends one, so its absence means the stream was cut.
    ``finish_reason`` holds the last stream's ("stop", "length"…), when known.
    """

    def __init__(
        self,
        model: Any,
        name: str,
        *,
        base_url: str = "",
        timeout: float | None = None,
        require_finish: bool = False,
    ) -> None:
        self._model = model
        self.name = name
        self.base_url = base_url
        self.timeout = timeout
        self.require_finish = require_finish
        self.finish_reason = ""

    def stream(self, messages: list[Message]) -> Iterator[str]:
        return self._stream(messages, {})

    def stream_structured(self, messages: list[Message], schema: dict[str, Any]) -> Iterator[str]:
        response_format = {
            "type": "json_schema",
            "json_schema": {"name": "cited_answer", "schema": schema, "strict": True},
        }
        # Sent as extra_body: LangChain routes a top-level response_format through a beta
        # parser that re-emits the whole completion at the end.
        return self._stream(messages, {"extra_body": {"response_format": response_format}})

    def _stream(self, messages: list[Message], kwargs: dict[str, Any]) -> Iterator[str]:
        from assistant.answer.endpoint_errors import map_error

        lc_messages = [(m["role"], m["content"]) for m in messages]
        if "extra_body" in kwargs:
            own = getattr(self._model, "extra_body", None) or {}
            kwargs = {**kwargs, "extra_body": {**own, **kwargs["extra_body"]}}
        self.finish_reason = ""
        try:
            for chunk in self._model.stream(lc_messages, **kwargs):
                reason = (getattr(chunk, "response_metadata", None) or {}).get("finish_reason")
                if reason:
                    self.finish_reason = str(reason)
                content = chunk.content
                if isinstance(content, str) and content:
                    yield content
        except Exception as exc:  # mapped to a one-line EndpointError
            raise map_error(
                exc, base_url=self.base_url, timeout=self.timeout, secrets=_secrets_of(self._model)
            ) from exc
        if self.require_finish and not self.finish_reason:
            where = self.base_url or "the endpoint"
            raise EndpointError(f"the stream from {where} ended without a finish reason")


def make_chat_model(settings: Settings) -> ChatModel:
    """The chat model for ``settings.answer.backend`` ("openai" or "local")."""
    backend = settings.answer.backend
    if backend == "openai":
        from assistant.answer.openai_model import make_openai_model

        return make_openai_model(settings.openai)
    if backend == "local":
        from assistant.answer.local_model import LlamaCppChatModel

        return LlamaCppChatModel.from_settings(settings.local)
    raise InputError(f"the {backend} backend has no chat model")
