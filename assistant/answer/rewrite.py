"""Follow-up questions → standalone questions, so retrieval sees the whole subject.

Extractive mode has no model, so it carries the previous turn's subject over
deterministically: a pronoun that stands for a person ("he", "she"…) is replaced by the
person the previous turn was about — the short answer of a "who" question, else the first
new person its quotes name, else the question's own first name — and a follow-up with no
subject of its own is given the previous question as context.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from assistant.answer.question import analyse, names_in
from assistant.answer.spans import people
from assistant.types import Turn

if TYPE_CHECKING:
    from assistant.answer.models import ChatModel
    from assistant.settings import Settings

CONTEXT_MARK = " (context: "


class Rewriter(Protocol):
    def rewrite(self, question: str, history: Sequence[Turn]) -> str: ...


_PERSON_PRONOUNS = {"he": "", "she": "", "him": "", "her": "", "his": "'s", "hers": "'s"}
_THING_PRONOUNS = {"it", "its", "they", "them", "their", "this", "that", "these", "those", "there"}
_MARKER = re.compile(r"\s*\[\d+\]")


def core_question(question: str) -> str:
    """The question without carried-over context."""
    return question.split(CONTEXT_MARK, 1)[0]


def _subject(turn: Turn) -> str:
    asked = core_question(turn.standalone or turn.question)
    in_question = " ".join(names_in(asked))
    if analyse(asked).kind in {"who", "which", "what"}:
        answer = _MARKER.sub("", turn.answer).strip()
        short = people(answer) if "“" not in answer else []
        if short:
            return short[0]
        quoted = " ".join(re.findall(r"“(.*?)”", turn.answer, re.DOTALL)) or turn.answer
        for name in people(quoted):
            if name not in in_question:
                return name
    found = people(asked) or names_in(asked)
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
        if any(w in _THING_PRONOUNS for w in words) or not names_in(question):
            context = core_question(previous.standalone or previous.question)
            return f"{question}{CONTEXT_MARK}{context.rstrip('?')})"
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
