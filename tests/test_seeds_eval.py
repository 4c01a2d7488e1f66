"""The floor gate: the seeds suite, the default backend (and the fitted one, with floors of
its own), the real pipeline.

Floors live in evals/floors.yaml and only go up. On failure the message lists the failing
cases; `assistant eval evals/seeds.yaml --markdown report.md` shows each one in full.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.floors import below_floors, load_floors
from evals.reports import fmt
from evals.runner import run_suites

SUITE = Path(__file__).resolve().parent.parent / "evals" / "seeds.yaml"


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["", "fitted"], ids=["default", "fitted"])
def test_seeds_suite_meets_its_floors(monkeypatch: pytest.MonkeyPatch, backend: str) -> None:
    from assistant.answer.service import Assistant
    from assistant.settings import load_settings

    monkeypatch.delenv("ASSISTANT_ANSWER__BACKEND", raising=False)
    if backend:
        monkeypatch.setenv("ASSISTANT_ANSWER__BACKEND", backend)
    assistant = Assistant.from_settings(load_settings())  # ingests seeds/ into the temp data dir
    report = run_suites([SUITE], assistant)
    summary = report.summary
    failing = [
        f"{case.id}#{n + 1}" if case.conversation else case.id
        for case in report.cases
        for n, turn in enumerate(case.turns)
        if not turn.passed
    ]
    invalid = [
        f"{case.id}: [{c['n']}] {c['article_id']} {c['start']}:{c['end']} {c['problem']}"
        for case in report.cases
        for turn in case.turns
        for c in turn.citations
        if not c["valid"]
    ]
    problems = below_floors(summary, load_floors(f"seeds-{backend}" if backend else "seeds"))
    numbers = ", ".join(
        f"{k}={fmt(summary[k])}"
        for k in ("correctness", "refusal_recall", "refusal_precision", "citation_validity", "mrr")
    )
    assert not problems, (
        f"{'; '.join(problems)}\n{numbers}\n"
        f"failing ({len(failing)}): {', '.join(failing)}\ninvalid citations: {invalid}"
    )
