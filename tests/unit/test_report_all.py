"""The side-by-side report: saved runs are re-read exactly, and the table names the split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.report_all import OLD_RULES, load_saved, markdown, still_asked
from evals.results import summarize
from evals.runner import run_cases
from evals.suite import Case, TurnSpec
from evals.workspace import find_realtimeqa
from tests.unit.evals_fakes import FakeAssistant, cite, hits, reply


def a_run() -> list:
    fake = FakeAssistant(
        {"Who met Kerry?": reply("Yang [1]", [cite("a.txt", "Yang Jiechi")], hits("a.txt"))}
    )
    cases = [
        Case("c", (TurnSpec("Who met Kerry?", answer_any=(("Yang",),), sources=("a.txt",)),)),
        Case("r", (TurnSpec("What about Mars?", answerable=False),)),
        Case("x", (TurnSpec("Unscripted?", answer_any=(("z",),)),)),
    ]
    return run_cases(cases, fake, k=6)


def test_a_saved_run_summarises_as_the_original(tmp_path: Path) -> None:
    report = a_run()
    path = tmp_path / "rules-seeds.json"
    path.write_text(json.dumps(report.to_dict()), encoding="utf-8")
    again = summarize(load_saved(path))
    assert again == report.summary
    assert again["answer_correctness"] == 0.5 and again["refusal_recall"] == 1.0


def test_saved_cases_a_regenerated_suite_no_longer_asks_are_left_out(tmp_path: Path) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        "- id: c\n  question: Who met Kerry?\n  answer_any: [[Yang]]\n"
        "- id: r\n  question: What about Mars?\n  answerable: false\n",
        encoding="utf-8",
    )
    kept = still_asked(a_run().cases, suite)
    assert [case.id for case in kept] == ["c", "r"]  # "x" was dropped from the suite


def test_the_table_has_one_row_per_backend_and_names_the_split() -> None:
    cases = a_run().cases
    runs = {
        ("seeds", "extractive"): cases,
        ("realtimeqa report", "extractive"): cases,
        ("realtimeqa report", OLD_RULES): cases[:1],
    }
    coverage = {key: ["realtimeqa-20230512"] for key in runs}
    coverage[("seeds", "extractive")] = ["seeds"]
    text = markdown(runs, coverage, ["seeds", "realtimeqa report"], ["extractive"], 6, 1.0)
    assert "dev (fitting) weeks: 20220715, 20220916, 20221111, 20230106" in text
    assert "Report weeks: 20230310, 20230512, 20230714, 20231006" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 4  # the header and three runs
    assert rows[2].startswith("| RealTime QA report weeks (20230512) | extractive | 3 | 0.500")
    assert "| old rules | 1 |" in rows[3]


def test_the_dataset_is_found_beside_the_clone_or_its_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ASSISTANT_REALTIMEQA_DIR", raising=False)
    repo = tmp_path / "wt" / "clone"
    repo.mkdir(parents=True)
    assert find_realtimeqa(repo) is None
    data = tmp_path / "shared" / "datasets" / "realtimeqa"
    data.mkdir(parents=True)
    (data / "20220715_qa.jsonl").write_text("{}\n", encoding="utf-8")
    assert find_realtimeqa(repo) == data  # worktree layout: ../../shared
    beside = tmp_path / "wt" / "shared" / "datasets" / "realtimeqa"
    beside.mkdir(parents=True)
    (beside / "20220715_qa.jsonl").write_text("{}\n", encoding="utf-8")
    assert find_realtimeqa(repo) == beside  # a clone's sibling comes first
    monkeypatch.setenv("ASSISTANT_REALTIMEQA_DIR", str(tmp_path / "nowhere"))
    assert find_realtimeqa(repo) is None


def test_saved_run_names_give_backend_and_suite_group() -> None:
    from evals.report_all import _SAVED, suite_group

    found = _SAVED.match("top-passage-realtimeqa-20230512")
    assert found is not None and found.groups() == ("top-passage", "realtimeqa-20230512")
    assert _SAVED.match("rules-seeds").groups() == ("rules", "seeds")  # type: ignore[union-attr]
    assert suite_group("realtimeqa-20230512") == "realtimeqa report"
    assert suite_group("realtimeqa-20220715") == "realtimeqa dev"
    assert suite_group("ood") == "ood"
