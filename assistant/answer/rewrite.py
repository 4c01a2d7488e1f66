"""Follow-up questions → standalone questions, so retrieval sees the whole subject.

Extractive mode has no model, so it carries the previous turn's subject over
deterministically: a pronoun that stands for a person ("he", "she", "they"…) is replaced by
the person the previous turn was about — its answer's first new name when it asked "who",
else the question's own first name — and a follow-up with no subject of its own is given the
previous question's names as context.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from assistant.answer.text import core_question, names, person_names
from assistant.types import Turn

if TYPE_CHECKING:
    from assistant.answer.models import ChatModel
    from assistant.settings import Settings


class Rewriter(Protocol):
    def rewrite(self, question: str, history: Sequence[Turn]) -> str: ...


_PERSON_PRONOUNS = {
    "he": "",
    "she": "",
    "him": "",
    "her": "",
    "his": "'s",
    "hers": "'s",
}
_THING_PRONOUNS = {"it", "its", "they", "them", "their", "this", "that", "these", "those", "there"}


def _subject(turn: Turn) -> str:
    """The person the previous turn was about: for a who/which question, the first new
    person its answer quotes; otherwise the first person its question names."""
    asked = core_question(turn.standalone or turn.question)
    in_question = " ".join(names(asked))
    if re.match(r"\s*(?:who|whom|which|what)\b", asked, re.IGNORECASE):
        quoted = " ".join(re.findall(r"“(.*?)”", turn.answer, re.DOTALL)) or turn.answer
        for name in person_names(quoted):
            if name not in in_question:
                return name
    people = person_names(asked)
    found = people or names(asked)
    return found[0] if found else ""


class CarryOverRewriter:
    """Deterministic follow-up rewriting for the extractive backend."""

    def rewrite(self, question: str, history: Sequence[Turn]) -> str:
        if not history:
            return question
        previous = history[-1]
        subject = _subject(previous)
        if not subject:
            return question
        words = re.findall(r"[A-Za-z’']+", question.lower())
        if any(w in _PERSON_PRONOUNS for w in words):
            return _replace_person_pronoun(question, subject)
        if any(w in _THING_PRONOUNS for w in words) or not names(question):
            context = previous.standalone or previous.question
            return f"{question} (context: {context.rstrip('?')})"
        return question


def _replace_person_pronoun(question: str, subject: str) -> str:
    """Replace the first person pronoun; later ones read naturally once the name is there."""
    pattern = re.compile(r"\b(" + "|".join(_PERSON_PRONOUNS) + r")\b", re.IGNORECASE)

    def sub(match: re.Match[str]) -> str:
        return subject + _PERSON_PRONOUNS[match.group(1).lower()]

    return pattern.sub(sub, question, count=1)


def make_rewriter(settings: Settings, chat_model: ChatModel | None) -> Rewriter:
    """The model rewrites follow-ups when one is configured; otherwise the carry-over rules."""
    if chat_model is None:
        return CarryOverRewriter()
    from assistant.answer.llm_rewrite import LLMRewriter

    return LLMRewriter(chat_model)
