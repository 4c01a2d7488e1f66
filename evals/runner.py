"""Runs suites against an assistant: asks every turn, scores it, and returns a RunReport.

The assistant is anything with the ``Assistant`` answering API (``ask``, ``backend``,
``model``, ``info``, ``source``), so the pytest gate shares one in-process Assistant and the
unit tests pass a scripted fake.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

from assistant.errors import AssistantError
from assistant.retrieval.base import ArticleSource
from assistant.types import Answer, Filters, Turn
from evals import scorers
from evals.results import CaseResult, RunReport, TurnResult, summarize_judge
from evals.suite import Case, SuiteError, TurnSpec, check_against_corpus, load_suites, select


class AssistantLike(Protocol):
    """The part of ``assistant.answer.service.Assistant`` the runner uses."""

    @property
    def source(self) -> ArticleSource: ...

    @property
    def backend(self) -> str: ...

    @property
    def model(self) -> str: ...

    def ask(self, question: str, history: Sequence[Turn] = (), **kwargs: Any) -> Answer: ...


class JudgeLike(Protocol):
    """Scores how well the cited quotes support an answer, 0..1, or None when it cannot."""

    name: str

    def faithfulness(self, question: str, answer: Answer) -> tuple[float | None, str]: ...


Progress = Callable[[Case, int], None]


def run_suites(
    paths: Sequence[str | Path],
    assistant: AssistantLike,
    *,
    only: Sequence[str] = (),
    tags: Sequence[str] = (),
    k: int | None = None,
    corpus_dirs: Sequence[Path] | None = None,
    on_turn: Progress | None = None,
    judge: JudgeLike | None = None,
) -> RunReport:
    """Load ``paths``, keep the selected cases, and run them; raises SuiteError when malformed."""
    cases = select(load_suites(paths), only, tags)
    return run_cases(
        cases,
        assistant,
        suites=[str(p) for p in paths],
        k=k,
        corpus_dirs=corpus_dirs,
        on_turn=on_turn,
        judge=judge,
    )


def run_cases(
    cases: Sequence[Case],
    assistant: AssistantLike,
    *,
    suites: Sequence[str] = (),
    k: int | None = None,
    corpus_dirs: Sequence[Path] | None = None,
    on_turn: Progress | None = None,
    judge: JudgeLike | None = None,
) -> RunReport:
    """Run already-loaded cases. Gold sources and evidence are checked against the corpus first."""
    settings = getattr(assistant, "settings", None)
    if corpus_dirs is None:
        seeds = getattr(settings, "seeds_dir", None)
        corpus_dirs = [Path(seeds)] if seeds else []
    checker = scorers.CitationChecker(assistant.source, corpus_dirs)
    problems = check_against_corpus(cases, checker.article_text)
    if problems:
        raise SuiteError(problems)
    k_used = k or _settings_k(settings)
    started = datetime.now(UTC)
    clock = time.perf_counter()
    results = [_run_case(case, assistant, checker, k, k_used, on_turn, judge) for case in cases]
    return RunReport(
        suites=list(suites),
        cases=results,
        backend=assistant.backend,
        model=assistant.model,
        k=k_used,
        index=_plain(getattr(assistant, "info", None)),
        settings=_masked(settings),
        versions=versions(),
        started=started.isoformat(timespec="seconds"),
        duration_s=time.perf_counter() - clock,
        judge=summarize_judge(results, judge.name) if judge else None,
    )


def _run_case(
    case: Case,
    assistant: AssistantLike,
    checker: scorers.CitationChecker,
    k: int | None,
    k_used: int,
    on_turn: Progress | None,
    judge: JudgeLike | None,
) -> CaseResult:
    history: list[Turn] = []
    turns = []
    for n, spec in enumerate(case.turns):
        kwargs: dict[str, Any] = {"k": k} if k else {}
        if spec.as_of:
            kwargs["filters"] = Filters(as_of=spec.as_of)
        if spec.perspectives:
            kwargs["perspectives"] = True
        began = time.perf_counter()
        try:
            answer = assistant.ask(spec.question, history, **kwargs)
        except AssistantError as err:
            result = _base(spec)
            result.error = f"{type(err).__name__}: {err}"
            result.latency_s = time.perf_counter() - began
            answer = Answer(question=spec.question, text="")
        else:
            result = score_turn(spec, answer, checker, k_used)
            result.latency_s = time.perf_counter() - began
            result.stage_hit_at_k = stage_hits(assistant, spec, answer, k_used)
            if judge is not None and answer.citations and not answer.refused:
                result.judge, result.judge_note = judge.faithfulness(spec.question, answer)
        turns.append(result)
        history.append(Turn(spec.question, answer.text, answer.standalone_question))
        if on_turn:
            on_turn(case, n)
    return CaseResult(case.id, case.file, list(case.tags), case.conversation, turns)


def _base(spec: TurnSpec) -> TurnResult:
    return TurnResult(
        question=spec.question,
        answerable=spec.answerable,
        expected=[list(g) for g in spec.answer_any],
        sources=list(spec.sources),
    )


def score_turn(
    spec: TurnSpec, answer: Answer, checker: scorers.CitationChecker, k: int
) -> TurnResult:
    """Every deterministic score of ``answer`` as a reply to ``spec``."""
    result = _base(spec)
    retrieved = scorers.retrieved_articles(answer)
    gold = list(spec.sources) if spec.answerable else []
    cited, in_evidence = scorers.evidence_hits(spec, answer)
    citations = []
    for c in answer.citations:
        problem = checker.problem(c)
        citations.append(
            {**c.to_dict(), "valid": not problem, "problem": problem, "gold": c.article_id in gold}
        )
    result.answer = answer.text
    result.refused = answer.refused
    result.refusal_reason = answer.refusal_reason
    result.standalone_question = answer.standalone_question
    result.citations = citations
    result.retrieved = retrieved
    result.correct = scorers.is_correct(spec, answer)
    if spec.answerable and not result.correct:
        result.missing = scorers.missing_groups(spec, answer)
    result.recall_at_k = scorers.recall_at_k(gold, retrieved, k)
    result.gold_hit_at_k = scorers.hit_at_k(gold, retrieved, k)
    result.mrr = scorers.reciprocal_rank(gold, retrieved)
    result.evidence_cited, result.evidence_retrieved = cited, in_evidence
    result.citation_validity = scorers.mean(c["valid"] for c in citations)
    result.citation_precision = scorers.citation_precision(gold, answer.citations)
    result.short_answer = answer.short_answer.text if answer.short_answer else ""
    result.short_answer_right = scorers.short_answer_right(spec, answer)
    missing = scorers.perspectives_missing(spec, answer)
    if missing is not None:
        result.perspectives_missing = missing
        result.perspectives = 1 - len(missing) / len(spec.perspectives)
    return result


def stage_hits(assistant: Any, spec: TurnSpec, answer: Answer, k: int) -> dict[str, bool]:
    """Per retrieval stage, whether a gold article is in its top ``k`` passages, for
    answerable turns with sources and a retriever that has ``stage_hits``; else empty."""
    measure = getattr(getattr(assistant, "retriever", None), "stage_hits", None)
    if not (spec.answerable and spec.sources and callable(measure)):
        return {}
    filters = Filters(as_of=spec.as_of) if spec.as_of else None
    stages = measure(answer.standalone_question or spec.question, k, filters)
    out = {}
    for stage, hits in stages.items():
        articles = [h.chunk.article_id for h in sorted(hits, key=lambda h: h.rank)]
        out[stage] = bool(scorers.hit_at_k(spec.sources, articles, k))
    return out


def versions() -> dict[str, str]:
    """Versions that change results: Python, this project, the vector store."""
    found = {"python": platform.python_version()}
    for name, dist in (("assistant", "news-assistant"), ("chromadb", "chromadb")):
        try:
            found[name] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def _settings_k(settings: Any) -> int:
    retrieval = getattr(settings, "retrieval", None)
    return int(getattr(retrieval, "k", 0) or 0)


def _masked(settings: Any) -> dict[str, Any]:
    if settings is None:
        return {}
    from assistant.settings import Settings, masked

    return masked(settings) if isinstance(settings, Settings) else {}


def _plain(info: Any) -> dict[str, Any]:
    if info is None:
        return {}
    if isinstance(info, dict):
        return dict(info)
    if is_dataclass(info) and not isinstance(info, type):
        return asdict(info)
    return dict(vars(info)) if hasattr(info, "__dict__") else {"info": str(info)}
