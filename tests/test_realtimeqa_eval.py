"""The RealTime QA gate: two report weeks, each in its own fresh index, the default backend
and the fitted one (the same indexes: ingest is the slow part).

The weeks are converted from ``shared/datasets/realtimeqa`` beside the clone (see
``evals.workspace.find_realtimeqa``); without it the test is skipped. Floors live in the
``realtimeqa`` (default backend) and ``realtimeqa-fitted`` sections of evals/floors.yaml and
only go up. This is a report split: the
failures of these weeks are never read to tune anything, so the message gives numbers only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evals.floors import below_floors, load_floors
from evals.importers.realtimeqa import convert
from evals.reports import fmt
from evals.workspace import Workspace, find_realtimeqa, merged_summary

WEEKS = ("20230512", "20231006")
SHOWN = (
    "answer_correctness",
    "refusal_precision",
    "refusal_recall",
    "gold_hit_at_k",
    "citation_validity",
)


@pytest.mark.slow
@pytest.mark.timeout(1800)  # two weeks of real news to ingest
def test_realtimeqa_report_weeks_meet_their_floors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = find_realtimeqa()
    if dataset is None:
        pytest.skip(
            "RealTime QA data not found: expected shared/datasets/realtimeqa beside the clone "
            "(or set ASSISTANT_REALTIMEQA_DIR)"
        )
    monkeypatch.delenv("ASSISTANT_ANSWER__BACKEND", raising=False)
    from assistant.settings import load_settings

    default = load_settings().answer.backend
    weeks = convert(dataset, tmp_path / "rtqa", WEEKS)
    space = Workspace(tmp_path / "indexes")
    runs: dict[str, list[Any]] = {default: [], "fitted": []}
    for week in weeks:
        space.index(week.week, week.corpus)
        for backend, reports in runs.items():
            reports.append(space.run(week.week, week.corpus, [week.suite], backend))
    problems = []
    for backend, reports in runs.items():
        summary = merged_summary(reports)
        section = "realtimeqa" if backend == default else f"realtimeqa-{backend}"
        below = below_floors(summary, load_floors(section))
        numbers = ", ".join(f"{k}={fmt(summary[k])}" for k in SHOWN)
        if below:
            problems.append(f"{backend}: {'; '.join(below)}\n  {numbers}")
    assert not problems, "\n".join(problems) + f"\n(weeks {', '.join(WEEKS)})"
