"""Eval runs as data other tools read: one JSONL row per asked turn.

``ragas`` rows carry only the fields ragas' ``EvaluationDataset.from_jsonl`` reads
(``user_input``, ``retrieved_contexts``, ``response``, ``reference``, ``reference_contexts``);
``jsonl`` rows add ours: the case and turn, the gold (``answer_any``, ``sources``, tags), every
citation with its offsets and verification, and whether the answer refused. ``eval import
jsonl`` reads the ``jsonl`` rows back into the same cases.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.types import Answer, Turn
from evals.results import RunReport
from evals.suite import Case, TurnSpec

FORMATS = ("jsonl", "ragas")
REFUSAL_REFERENCE = "The articles do not answer this question."
RAGAS_KEYS = ("user_input", "retrieved_contexts", "response", "reference", "reference_contexts")


class Recorder:
    """Wraps the assistant an eval runs, keeping each turn's Answer (None when it failed)."""

    def __init__(self, assistant: Any) -> None:
        self._assistant = assistant
        self.answers: list[Answer | None] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._assistant, name)

    def ask(self, question: str, history: Sequence[Turn] = (), **kwargs: Any) -> Answer:
        self.answers.append(None)
        answer: Answer = self._assistant.ask(question, history, **kwargs)
        self.answers[-1] = answer
        return answer


def reference(spec: TurnSpec) -> str:
    """A reference answer in words: the first alternative of every group, or the refusal."""
    if not spec.answerable:
        return REFUSAL_REFERENCE
    return "; ".join(group[0] for group in spec.answer_any if group)


def rows(
    cases: Sequence[Case], report: RunReport, answers: Sequence[Answer | None]
) -> list[dict[str, Any]]:
    """One row per turn, in the order the runner asked them."""
    out: list[dict[str, Any]] = []
    pending = iter(answers)
    for case, result in zip(cases, report.cases, strict=True):
        for n, (spec, turn) in enumerate(zip(case.turns, result.turns, strict=True)):
            answer = next(pending, None)
            contexts = [h.chunk.text for h in answer.evidence] if answer else []
            out.append(
                {
                    "user_input": spec.question,
                    "retrieved_contexts": contexts,
                    "response": turn.answer,
                    "reference": reference(spec),
                    "reference_contexts": list(spec.evidence),
                    "id": case.id,
                    "turn": n,
                    "conversation": case.conversation,
                    "answerable": spec.answerable,
                    "answer_any": [list(g) for g in spec.answer_any],
                    "sources": list(spec.sources),
                    "as_of": spec.as_of,
                    "tags": list(case.tags),
                    "note": case.note,
                    "refused": turn.refused,
                    "correct": turn.correct,
                    "error": turn.error,
                    "citations": [_citation(c) for c in turn.citations],
                    "retrieved_ids": [h.chunk.id for h in answer.evidence] if answer else [],
                }
            )
    return out


def _citation(c: dict[str, Any]) -> dict[str, Any]:
    keys = ("n", "quote", "article_id", "start", "end", "title", "outlet", "published", "valid")
    return {k: c[k] for k in keys if k in c}


def write(path: Path, fmt: str, data: list[dict[str, Any]]) -> None:
    keep = RAGAS_KEYS if fmt == "ragas" else None
    with path.open("w", encoding="utf-8") as out:
        for row in data:
            shown = {k: row[k] for k in keep} if keep else row
            out.write(json.dumps(shown, ensure_ascii=False) + "\n")
