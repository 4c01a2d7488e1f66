"""EXPERIMENTAL: an LLM judges whether each cited quote supports the answer.

Off unless ``--judge`` is given. Its number is reported on its own and never mixed into the
deterministic metrics: a judge model is slow, variable and can be wrong.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.errors import AssistantError
from assistant.types import Answer

if TYPE_CHECKING:
    from assistant.answer.models import ChatModel
    from assistant.settings import Settings

PROMPT = """You check citations. Reply with exactly one word: YES or NO.

Question: {question}
Answer: {answer}
Quote from the cited article: "{quote}"

Does the quote support the answer (or the part of it that cites the quote)?"""


class QuoteJudge:
    """Asks a chat model, one quote at a time; faithfulness = share of quotes judged YES."""

    def __init__(self, model: ChatModel) -> None:
        self._model = model
        self.name = model.name

    def faithfulness(self, question: str, answer: Answer) -> tuple[float | None, str]:
        verdicts = []
        for citation in answer.citations:
            prompt = PROMPT.format(question=question, answer=answer.text, quote=citation.quote)
            try:
                reply = "".join(self._model.stream([{"role": "user", "content": prompt}]))
            except AssistantError as err:
                return None, f"judge failed: {err}"
            word = reply.strip().split()[0].strip(".,!").upper() if reply.strip() else ""
            if word not in {"YES", "NO"}:
                return None, f"judge replied {reply.strip()[:60]!r}"
            verdicts.append(word == "YES")
        if not verdicts:
            return None, "no citations"
        return sum(verdicts) / len(verdicts), ""


def make_judge(settings: Settings) -> QuoteJudge:
    """The configured chat model as a judge; the OpenAI-compatible endpoint when the answerer
    under test has no model (extractive). Raises AssistantError when none is usable."""
    from assistant.answer.models import make_chat_model

    if settings.answer.backend == "extractive":
        answer = settings.answer.model_copy(update={"backend": "openai"})
        settings = settings.model_copy(update={"answer": answer})
    return QuoteJudge(make_chat_model(settings))
