"""Loads and validates eval suites: every problem is reported with its file, case and line.

A suite is a YAML list of cases. A malformed case or an unknown key is an error, never a
silent skip, because a skipped case looks exactly like a passing one in a summary.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from evals.matching import contains

CASE_KEYS = {
    "id",
    "question",
    "answerable",
    "answer_any",
    "sources",
    "evidence",
    "tags",
    "turns",
    "note",
    "as_of",
    "perspectives",
}
TURN_KEYS = {
    "question",
    "answerable",
    "answer_any",
    "sources",
    "evidence",
    "note",
    "as_of",
    "perspectives",
}
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a suite, located for the person who has to fix it."""

    file: str
    line: int
    case: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.case}: {self.message}" if self.case else f"{where}: {self.message}"


class SuiteError(Exception):
    """The suite cannot be run; ``problems`` lists every reason found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True, slots=True)
class TurnSpec:
    """One question to ask and what a correct answer to it contains."""

    question: str
    answerable: bool = True
    answer_any: tuple[tuple[str, ...], ...] = ()
    sources: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    line: int = 0
    as_of: str = ""  # ISO date: "today" for the question's relative time words
    # who says what: (outlet or title fragment, answer_any groups its block's quotes must match)
    perspectives: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = ()


@dataclass(frozen=True, slots=True)
class Case:
    """A single question, or a conversation whose every turn is scored."""

    id: str
    turns: tuple[TurnSpec, ...]
    tags: tuple[str, ...] = ()
    note: str = ""
    file: str = ""
    line: int = 0
    conversation: bool = False


# --- YAML with line numbers -------------------------------------------------------------


class _Map(dict[str, Any]):
    line: int = 0
    key_lines: dict[str, int]
    duplicates: list[tuple[str, int]]


class _Seq(list[Any]):
    line: int = 0
    item_lines: list[int]


class _LineLoader(yaml.SafeLoader):
    """A SafeLoader whose mappings and lists remember the (1-based) lines they start on."""


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> Any:
    data = _Map()
    data.line = node.start_mark.line + 1
    data.key_lines = {}
    data.duplicates = []
    yield data
    for key_node, _ in node.value:
        key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
        if key in data.key_lines:
            data.duplicates.append((key, key_node.start_mark.line + 1))
        else:
            data.key_lines[key] = key_node.start_mark.line + 1
    data.update({str(k): v for k, v in loader.construct_mapping(node, deep=True).items()})


def _construct_seq(loader: _LineLoader, node: yaml.SequenceNode) -> Any:
    data = _Seq()
    data.line = node.start_mark.line + 1
    data.item_lines = [item.start_mark.line + 1 for item in node.value]
    yield data
    data.extend(loader.construct_sequence(node, deep=True))


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


# --- validation ---------------------------------------------------------------------------


@dataclass
class _Checker:
    """Collects problems for one file while turning its YAML into cases."""

    file: str
    problems: list[Problem] = field(default_factory=list)

    def add(self, line: int, case: str, message: str) -> None:
        self.problems.append(Problem(self.file, line, case, message))

    def cases(self, data: Any) -> list[Case]:
        if data is None:
            self.add(1, "", "the suite is empty; expected a list of cases")
            return []
        if not isinstance(data, _Seq):
            self.add(getattr(data, "line", 1), "", "a suite must be a YAML list of cases")
            return []
        out = []
        for index, (item, line) in enumerate(zip(data, data.item_lines, strict=True), start=1):
            case = self.case(item, line, index)
            if case is not None:
                out.append(case)
        return out

    def case(self, item: Any, line: int, index: int) -> Case | None:
        label = f"case #{index}"
        if not isinstance(item, _Map):
            self.add(line, label, f"a case must be a mapping, got {_kind(item)}")
            return None
        before = len(self.problems)
        case_id = item.get("id")
        if isinstance(case_id, str) and _ID.match(case_id):
            label = case_id
        else:
            self.add(item.key_lines.get("id", line), label, "needs an id (letters, digits, - _ .)")
        self.keys(item, CASE_KEYS, label)
        tags = self.strings(item, "tags", label)
        note = self.text(item, "note", label, required=False)
        if ("question" in item) == ("turns" in item):
            self.add(line, label, "needs exactly one of 'question' or 'turns'")
            return None
        if "turns" in item:
            for key in ("answerable", "answer_any", "sources", "evidence"):
                if key in item:
                    self.add(item.key_lines[key], label, f"'{key}' belongs to each turn")
            turns = self.turns(item, label)
            default = self.date(item, "as_of", label)
            turns = [t if t.as_of else replace(t, as_of=default) for t in turns]
        else:
            turn = self.turn(item, line, label)
            turns = [turn] if turn else []
        if len(self.problems) > before or not turns:
            return None
        return Case(
            id=label,
            turns=tuple(turns),
            tags=tuple(tags),
            note=note,
            file=self.file,
            line=line,
            conversation="turns" in item,
        )

    def turns(self, item: _Map, label: str) -> list[TurnSpec]:
        raw = item["turns"]
        line = item.key_lines["turns"]
        if not isinstance(raw, _Seq) or not raw:
            self.add(line, label, "'turns' must be a non-empty list of questions")
            return []
        out = []
        for n, (turn, turn_line) in enumerate(zip(raw, raw.item_lines, strict=True), start=1):
            where = f"{label} turn {n}"
            if not isinstance(turn, _Map):
                self.add(turn_line, where, f"a turn must be a mapping, got {_kind(turn)}")
                continue
            self.keys(turn, TURN_KEYS, where)
            spec = self.turn(turn, turn_line, where)
            if spec:
                out.append(spec)
        return out

    def turn(self, item: _Map, line: int, label: str) -> TurnSpec | None:
        question = self.text(item, "question", label, required=True)
        answerable = item.get("answerable", True)
        if not isinstance(answerable, bool):
            self.add(
                item.key_lines.get("answerable", line), label, "'answerable' must be true/false"
            )
            answerable = True
        groups = self.groups(item, label)
        sources = self.strings(item, "sources", label)
        evidence = self.strings(item, "evidence", label)
        perspectives = self.perspectives(item, label)
        if not answerable:
            for key in ("answer_any", "sources", "evidence", "perspectives"):
                if key in item:
                    self.add(item.key_lines[key], label, f"an unanswerable question has no '{key}'")
        elif "answer_any" not in item:
            self.add(line, label, "an answerable question needs 'answer_any'")
        if evidence and not sources:
            self.add(item.key_lines["evidence"], label, "'evidence' needs the 'sources' it is from")
        if not question:
            return None
        return TurnSpec(
            question=question,
            answerable=answerable,
            answer_any=tuple(tuple(g) for g in groups),
            sources=tuple(sources),
            evidence=tuple(evidence),
            line=line,
            as_of=self.date(item, "as_of", label),
            perspectives=perspectives,
        )

    def perspectives(
        self, item: _Map, label: str
    ) -> tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]:
        """``{outlet or title fragment: answer_any groups}`` for ``--perspectives`` blocks."""
        if "perspectives" not in item:
            return ()
        value = item["perspectives"]
        if not isinstance(value, _Map) or not value:
            self.add(
                item.key_lines["perspectives"],
                label,
                "'perspectives' must map outlets to answer_any groups, e.g. "
                '{Global Times: [["Yang"]]}',
            )
            return ()
        return tuple(
            (str(name), tuple(tuple(g) for g in self.groups(value, label, str(name))))
            for name in value
        )

    def keys(self, item: _Map, allowed: set[str], label: str) -> None:
        for key, line in item.duplicates:
            self.add(line, label, f"duplicate key '{key}'")
        for key in item:
            if key not in allowed:
                hint = ", ".join(sorted(allowed))
                self.add(
                    item.key_lines.get(key, item.line),
                    label,
                    f"unknown key '{key}' (known: {hint})",
                )

    def date(self, item: _Map, key: str, label: str) -> str:
        """An ISO ``YYYY-MM-DD`` date (quoted or as YAML reads a bare date), or ""."""
        if key not in item:
            return ""
        value = item[key]
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value.isoformat()
        if isinstance(value, str) and _DATE.match(value.strip()):
            try:
                return dt.date.fromisoformat(value.strip()).isoformat()
            except ValueError:
                pass
        self.add(item.key_lines[key], label, f"'{key}' must be a date like 2023-05-11")
        return ""

    def text(self, item: _Map, key: str, label: str, *, required: bool) -> str:
        if key not in item:
            if required:
                self.add(item.line, label, f"needs a '{key}'")
            return ""
        value = item[key]
        if not isinstance(value, str) or not value.strip():
            self.add(item.key_lines[key], label, f"'{key}' must be non-empty text")
            return ""
        return value.strip()

    def strings(self, item: _Map, key: str, label: str) -> list[str]:
        if key not in item:
            return []
        value = item[key]
        line = item.key_lines[key]
        if not isinstance(value, list) or not value:
            self.add(line, label, f"'{key}' must be a non-empty list of text")
            return []
        out = [_scalar_text(v) for v in value]
        if any(v is None for v in out):
            self.add(line, label, f"every item of '{key}' must be non-empty text")
            return []
        return [v for v in out if v is not None]

    def groups(self, item: _Map, label: str, key: str = "answer_any") -> list[list[str]]:
        if key not in item:
            return []
        value = item[key]
        line = item.key_lines.get(key, item.line)
        shape = f"'{key}' must be a list of groups, each a list of alternatives"
        if not isinstance(value, list) or not value:
            self.add(line, label, shape)
            return []
        groups: list[list[str]] = []
        for group in value:
            if not isinstance(group, list) or not group:
                self.add(line, label, f'{shape}, e.g. [["Xi\'an", "Xian"]]')
                return []
            texts = [_scalar_text(v) for v in group]
            if any(t is None for t in texts):
                self.add(line, label, f"every alternative in '{key}' must be non-empty text")
                return []
            groups.append([t for t in texts if t is not None])
        return groups


def _scalar_text(value: Any) -> str | None:
    """Text, or a number YAML read as one (``[[31]]``); booleans are a typo, not an answer."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "text" if isinstance(value, str) else "a value"


# --- public API ---------------------------------------------------------------------------


def parse_suite(text: str, file: str) -> tuple[list[Case], list[Problem]]:
    """The cases of one suite's text, and every problem found in it."""
    checker = _Checker(file)
    try:
        data = yaml.load(text, Loader=_LineLoader)  # a SafeLoader subclass
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        reason = getattr(err, "problem", None) or str(err)
        checker.add(line, "", f"invalid YAML: {reason}")
        return [], checker.problems
    return checker.cases(data), checker.problems


def load_suites(paths: Iterable[str | Path]) -> list[Case]:
    """All cases of ``paths`` in order; raises SuiteError listing every problem found."""
    cases: list[Case] = []
    problems: list[Problem] = []
    for path in map(Path, paths):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            problems.append(Problem(str(path), 0, "", f"cannot read the suite: {err}"))
            continue
        found, bad = parse_suite(text, str(path))
        cases.extend(found)
        problems.extend(bad)
    problems.extend(_duplicate_ids(cases))
    if problems:
        raise SuiteError(problems)
    return cases


def _duplicate_ids(cases: Sequence[Case]) -> list[Problem]:
    first: dict[str, Case] = {}
    out = []
    for case in cases:
        if case.id in first:
            where = f"{first[case.id].file}:{first[case.id].line}"
            out.append(Problem(case.file, case.line, case.id, f"duplicate id (first at {where})"))
        else:
            first[case.id] = case
    return out


def check_against_corpus(
    cases: Sequence[Case], article_text: Callable[[str], str | None]
) -> list[Problem]:
    """Gold sources that are not articles, and evidence that is not in its gold sources."""
    problems = []
    for case in cases:
        for n, turn in enumerate(case.turns, start=1):
            label = f"{case.id} turn {n}" if case.conversation else case.id
            texts = {s: article_text(s) for s in turn.sources}
            for source, text in texts.items():
                if text is None:
                    problems.append(
                        Problem(case.file, turn.line, label, f"unknown source '{source}'")
                    )
            for fragment in turn.evidence:
                if not any(t is not None and contains(t, fragment) for t in texts.values()):
                    problems.append(
                        Problem(
                            case.file,
                            turn.line,
                            label,
                            f"evidence not in its sources: {fragment!r}",
                        )
                    )
    return problems


def select(cases: Sequence[Case], only: Sequence[str] = (), tags: Sequence[str] = ()) -> list[Case]:
    """The cases named by ``only`` and/or carrying any of ``tags``; raises on unknown ids."""
    known = {c.id for c in cases}
    unknown = [i for i in only if i not in known]
    if unknown:
        raise SuiteError([Problem("", 0, i, "no case has this id") for i in unknown])
    chosen = [c for c in cases if not only or c.id in only]
    if tags:
        chosen = [c for c in chosen if set(c.tags) & set(tags)]
    return chosen
