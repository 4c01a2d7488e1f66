"""Builds the configured answerer; LLM backends and their SDKs load only when chosen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.answer.base import Answerer
from assistant.answer.extractive import ExtractiveAnswerer

if TYPE_CHECKING:
    from assistant.answer.models import ChatModel
    from assistant.settings import Settings


def make_answerer(settings: Settings) -> tuple[Answerer, ChatModel | None]:
    """The answerer for ``settings.answer.backend`` and the chat model behind it, if any."""
    if settings.answer.backend == "top-passage":
        from assistant.answer.baseline import TopPassageAnswerer

        return TopPassageAnswerer(), None
    if settings.answer.backend == "fitted":
        from assistant.answer.fitted import FittedAnswerer

        return FittedAnswerer(settings), None
    extractive = ExtractiveAnswerer(settings)
    if settings.answer.backend == "extractive":
        return extractive, None
    from assistant.answer.llm import LLMAnswerer
    from assistant.answer.models import make_chat_model
    from assistant.prompts import load_prompts

    model = make_chat_model(settings)
    fallback = extractive if settings.answer.fallback_to_extractive else None
    answerer = LLMAnswerer(model, settings, load_prompts(settings.prompts_dir), fallback)
    return answerer, model
