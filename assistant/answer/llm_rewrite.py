"""Follow-up → standalone question with the chat model (prompts/rewrite.txt).

A rewrite only helps retrieval; it must never break a turn. Small models answer the question
instead, or copy the instructions back, so a rewrite is used only when it passes ``plausible``:
a question, short, not copied from the prompt, and sharing the conversation's names or the
follow-up's own words. Otherwise (or on any failure) the deterministic carry-over rewrite is
used.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer.models import Bounded, ChatModel
from assistant.answer.rewrite import CarryOverRewriter, Rewriter
from assistant.errors import AssistantError
from assistant.prompts import Prompts, load_prompts
from assistant.types import Turn

HISTORY_TURNS = 3
MAX_CHARS = 300
MAX_WORDS = 30
DEADLINE_S = 60.0
_QUESTION_WORDS = set(
    "who whom whose what when where why how which is are was were do does did can could will "
    "would should has have had may might in on at for from to by according".split()
)
_FUNCTION_WORDS = set(
    "the a an of and or to in on at for from by with about into than then that this these those "
    "it its he she his her him they them their there what who whom whose when where why how "
    "which is are was were be been do does did can could will would should has have had say "
    "said tell told also just more most any some".split()
)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_PREFIX = re.compile(r"^(?:rewritten|standalone|rephrased)?\s*(?:question)?\s*:\s*", re.IGNORECASE)


def clean_rewrite(reply: str) -> str:
    """The first non-empty line, without labels, quotes or markdown around it."""
    for line in reply.splitlines():
        line = line.strip().strip("*`").strip()
        line = _PREFIX.sub("", line).strip().strip("*`\"'“”‘’").strip()
        if line:
            return " ".join(line.split())
    return ""


def _content(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.casefold()) if w not in _FUNCTION_WORDS and len(w) > 2}


def _names(text: str) -> set[str]:
    """Capitalised words not at the start of a sentence: the conversation's entities."""
    found: set[str] = set()
    for sentence in re.split(r"(?<=[.?!])\s+|\n", text):
        words = _WORD.findall(sentence)
        found |= {w.casefold() for w in words[1:] if w[:1].isupper()}
    return found - _FUNCTION_WORDS


def _ngrams(text: str, n: int = 4) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.casefold())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def plausible(rewritten: str, question: str, history: Sequence[Turn], instructions: str) -> bool:
    """Is ``rewritten`` a standalone form of ``question``, or something else a model wrote?"""
    words = _WORD.findall(rewritten)
    if not words or len(rewritten) > MAX_CHARS or len(words) > MAX_WORDS:
        return False
    if len(words) > 3 * len(_WORD.findall(question)) + 15:
        return False
    if not (rewritten.rstrip().endswith("?") or words[0].casefold() in _QUESTION_WORDS):
        return False
    if _ngrams(rewritten) & _ngrams(instructions):
        return False
    said = " ".join(f"{t.standalone or t.question}\n{t.answer}" for t in history)
    own = _content(question)
    kept = own & _content(rewritten)
    shares_names = bool(_names(said) & {w.casefold() for w in words})
    return shares_names or (bool(own) and len(kept) * 2 >= len(own))


class LLMRewriter:
    """Rewrites follow-ups with ``model``; a reply that is not ``plausible`` (or a failure)
    gives the ``fallback`` rewrite (the deterministic carry-over by default)."""

    def __init__(
        self,
        model: ChatModel,
        prompts: Prompts | None = None,
        fallback: Rewriter | None = None,
    ) -> None:
        self._model = model
        self._prompts = prompts
        self.fallback: Rewriter = fallback or CarryOverRewriter()

    def rewrite(self, question: str, history: Sequence[Turn]) -> str:
        if not history:
            return question
        try:
            prompts = self._prompts or load_prompts()
            prompt = prompts.rewrite.render(history=_history(history), question=question)
            pieces = self._model.stream([{"role": "user", "content": prompt}])
            reply = "".join(Bounded(pieces, deadline_s=DEADLINE_S, max_chars=4 * MAX_CHARS))
            instructions = prompts.rewrite.render(history="", question="")
        except (AssistantError, OSError, ValueError):
            return self.fallback.rewrite(question, history)
        rewritten = clean_rewrite(reply)
        if not plausible(rewritten, question, history, instructions):
            return self.fallback.rewrite(question, history)
        return rewritten


def _history(history: Sequence[Turn]) -> str:
    lines: list[str] = []
    for turn in history[-HISTORY_TURNS:]:
        answer = " ".join(re.sub(r"\[\d+\]", "", turn.answer).split())
        lines += [f"User: {turn.standalone or turn.question}", f"Assistant: {answer[:300]}"]
    return "\n".join(lines)
