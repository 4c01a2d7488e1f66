"""The RealTime QA gate: two report weeks, each in its own fresh index, the default backend.

The weeks are converted from ``shared/datasets/realtimeqa`` beside the clone (see
``evals.workspace.find_realtimeqa``); without it the test is skipped. Floors live in the
``realtimeqa`` section of evals/floors.yaml and only go up. This is a report split: the
failures of these weeks are never read to tune anything, so the message gives numbers only.
"""

from __future__ import annotations

from pathlib import Path

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

    backend = load_settings().answer.backend
    weeks = convert(dataset, tmp_path / "rtqa", WEEKS)
    space = Workspace(tmp_path / "indexes")
    reports = []
    for week in weeks:
        space.index(week.week, week.corpus)
        reports.append(space.run(week.week, week.corpus, [week.suite], backend))
    summary = merged_summary(reports)
    problems = below_floors(summary, load_floors("realtimeqa"))
    numbers = ", ".join(f"{k}={fmt(summary[k])}" for k in SHOWN)
    assert not problems, f"{'; '.join(problems)}\n{numbers} (weeks {', '.join(WEEKS)})"
