"""Follow-up → standalone question with the chat model (prompts/rewrite.txt).

A rewrite only helps retrieval; it must never break a turn. Any failure or an implausible
reply (empty, an answer instead of a question, a refusal) keeps the user's own question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer.models import ChatModel
from assistant.errors import AssistantError
from assistant.prompts import Prompts, load_prompts
from assistant.types import Turn

HISTORY_TURNS = 3
MAX_CHARS = 400
_PREFIX = re.compile(r"^(?:rewritten|standalone|rephrased)?\s*(?:question)?\s*:\s*", re.IGNORECASE)


def clean_rewrite(reply: str) -> str:
    """The first non-empty line, without labels, quotes or markdown around it."""
    for line in reply.splitlines():
        line = line.strip().strip("*`").strip()
        line = _PREFIX.sub("", line).strip().strip("*`\"'“”‘’").strip()
        if line:
            return " ".join(line.split())
    return ""


class LLMRewriter:
    """Rewrites follow-ups with ``model``; falls back to the question as asked."""

    def __init__(self, model: ChatModel, prompts: Prompts | None = None) -> None:
        self._model = model
        self._prompts = prompts

    def rewrite(self, question: str, history: Sequence[Turn]) -> str:
        if not history:
            return question
        try:
            prompts = self._prompts or load_prompts()
            prompt = prompts.rewrite.render(history=_history(history), question=question)
            reply = "".join(self._model.stream([{"role": "user", "content": prompt}]))
        except (AssistantError, OSError, ValueError):
            return question
        rewritten = clean_rewrite(reply)
        if not rewritten or len(rewritten) > MAX_CHARS or "CANNOT_ANSWER" in rewritten:
            return question
        return rewritten


def _history(history: Sequence[Turn]) -> str:
    lines: list[str] = []
    for turn in history[-HISTORY_TURNS:]:
        answer = " ".join(re.sub(r"\[\d+\]", "", turn.answer).split())
        lines += [f"User: {turn.standalone or turn.question}", f"Assistant: {answer[:300]}"]
    return "\n".join(lines)
