"""A JSONL QA dataset → an eval suite.

Each line is one question. Read, in this order of preference: the question from ``question``
or ``user_input``; the gold from ``answer_any`` (groups of alternatives), else ``answer``,
``answers``, ``reference`` or ``ground_truth`` (a string, or a list of alternatives);
``answerable`` (a row with no gold must say ``false``); gold article ids from ``sources``,
``ids`` or ``article_ids``; evidence from ``evidence``, ``reference_contexts`` or
``contexts``; ``id``, ``tags``, ``note``, ``as_of``. Rows sharing an ``id`` with a ``turn``
number (what ``eval --export jsonl`` writes for conversations) become one case with turns.
The suite is checked by the suite loader before it is written.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from evals.export import REFUSAL_REFERENCE
from evals.suite import parse_suite

_GOLD_KEYS = ("answer", "answers", "reference", "ground_truth")
_SAFE_ID = re.compile(r"[^A-Za-z0-9_.-]+")


class ImportProblem(ValueError):
    """The file cannot be converted; the message names the line and what is wrong."""


def convert(path: Path) -> list[dict[str, Any]]:
    """The suite's cases as plain mappings, in the file's order."""
    cases: dict[str, dict[str, Any]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise ImportProblem(f"cannot read {path}: {err}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as err:
            raise ImportProblem(f"{path}:{number}: not JSON: {err}") from None
        if not isinstance(row, dict):
            raise ImportProblem(f"{path}:{number}: each line must be a JSON object")
        case_id = _case_id(row, path, number)
        turn = _turn(row, path, number)
        case = cases.get(case_id)
        if case is None:
            cases[case_id] = {"id": case_id, "turns": [turn], **_case_keys(row)}
            cases[case_id]["conversation"] = bool(row.get("conversation"))
        elif "turn" in row:
            case["turns"].append(turn)
            case["conversation"] = True
        else:
            raise ImportProblem(f"{path}:{number}: id {case_id!r} is used twice")
    return [_shape(c) for c in cases.values()]


def _case_id(row: dict[str, Any], path: Path, number: int) -> str:
    raw = str(row.get("id") or f"{path.stem}-{number}")
    return _SAFE_ID.sub("-", raw).strip("-") or f"{path.stem}-{number}"


def _strings(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if str(v).strip()]
    return [str(value)]


def _first(row: dict[str, Any], keys: tuple[str, ...]) -> Any:
    return next((row[k] for k in keys if row.get(k) not in (None, "", [])), None)


def _turn(row: dict[str, Any], path: Path, number: int) -> dict[str, Any]:
    question = _first(row, ("question", "user_input"))
    if not isinstance(question, str) or not question.strip():
        raise ImportProblem(f"{path}:{number}: no question (expected 'question' or 'user_input')")
    groups = row.get("answer_any")
    refusal = False
    if groups is None:
        written = _strings(_first(row, _GOLD_KEYS))
        refusal = written == [REFUSAL_REFERENCE]
        groups = [written] if written and not refusal else []
    if "answerable" not in row and not groups and not refusal:
        raise ImportProblem(
            f"{path}:{number}: no answer (answer, answers, reference or answer_any) "
            'and no "answerable": false'
        )
    answerable = bool(row.get("answerable", not refusal))
    turn: dict[str, Any] = {"question": question.strip()}
    if not answerable:
        turn["answerable"] = False
        return {**turn, **_optional(row, "as_of")}
    if not groups:
        raise ImportProblem(f"{path}:{number}: an answerable question needs an answer")
    turn["answer_any"] = [_strings(g) for g in groups]
    sources = _strings(_first(row, ("sources", "ids", "article_ids")))
    evidence = _strings(_first(row, ("evidence", "reference_contexts", "contexts")))
    if sources:
        turn["sources"] = sources
    if evidence:
        turn["evidence"] = evidence
    return {**turn, **_optional(row, "as_of")}


def _optional(row: dict[str, Any], key: str) -> dict[str, Any]:
    return {key: row[key]} if row.get(key) else {}


def _case_keys(row: dict[str, Any]) -> dict[str, Any]:
    keys: dict[str, Any] = {}
    tags = _strings(row.get("tags"))
    if tags:
        keys["tags"] = tags
    return {**keys, **_optional(row, "note")}


def _shape(case: dict[str, Any]) -> dict[str, Any]:
    """A one-turn case is written flat, as hand-written suites are."""
    turns, conversation = case.pop("turns"), case.pop("conversation")
    extra: dict[str, Any] = {k: case.pop(k) for k in ("tags", "note") if k in case}
    if conversation or len(turns) > 1:
        return {**case, "turns": turns, **extra}
    return {**case, **turns[0], **extra}


def write_suite(cases: list[dict[str, Any]], out: Path, source: Path) -> None:
    """Write ``out`` after the suite loader accepts the text."""
    text = f"# Imported from {source.name} by `assistant eval import jsonl`.\n" + yaml.safe_dump(
        cases, sort_keys=False, allow_unicode=True, width=10_000, default_flow_style=None
    )
    _, problems = parse_suite(text, str(out))
    if problems:
        raise ImportProblem("; ".join(str(p) for p in problems[:5]))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
