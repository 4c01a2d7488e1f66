"""Any OpenAI-compatible endpoint (OpenAI, llama.cpp server, Ollama, vLLM) via ChatOpenAI.

No retries: a failing endpoint should fail fast with one clear line, not after minutes.
The API key goes only into the client; it is never logged, printed or put in a message.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from assistant.answer.models import LangChainChatModel
from assistant.settings import OpenAISettings


def make_openai_model(settings: OpenAISettings) -> LangChainChatModel:
    import httpx
    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    key = settings.api_key.get_secret_value() or "not-needed"
    # OpenAI itself wants max_completion_tokens; compatible servers (llama.cpp, Ollama,
    # vLLM) all understand the older max_tokens, and some ignore the newer name.
    if urlsplit(settings.base_url).hostname == "api.openai.com":
        limits: dict[str, Any] = {"max_completion_tokens": settings.max_tokens}
    else:
        limits = {"extra_body": {"max_tokens": settings.max_tokens}}
    chat = ChatOpenAI(
        base_url=settings.base_url,
        api_key=SecretStr(key),
        model=settings.model,
        timeout=httpx.Timeout(settings.timeout, connect=settings.connect_timeout),
        max_retries=0,
        streaming=True,
        temperature=settings.temperature,
        **limits,
    )
    return LangChainChatModel(
        chat,
        settings.model,
        base_url=settings.base_url,
        timeout=settings.timeout,
        require_finish=True,
        structured=settings.structured,
    )
