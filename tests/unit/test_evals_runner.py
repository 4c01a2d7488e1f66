"""The runner with a scripted assistant: turns, history, scores, reports, baseline, CLI."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from assistant.types import Turn
from evals import cli as eval_cli
from evals.baseline import compare
from evals.reports import render_terminal, to_markdown, write_json
from evals.runner import run_suites
from evals.suite import SuiteError
from tests.unit.evals_fakes import FakeAssistant, cite, failing, hits, reply

SUITE = """\
- id: tourism
  question: Where will the summit be held?
  answer_any: [["Xi'an", "Xian"]]
  sources: [a.txt]
  evidence: ["held in Xi'an"]
  tags: [where]
- id: count
  question: How many times was cooperation mentioned?
  answer_any: [["31"]]
  sources: [b.txt]
  tags: [number]
- id: olympics
  question: What about the Olympics?
  answerable: false
  tags: [unanswerable]
- id: talk
  turns:
    - question: Who met Kerry?
      answer_any: [["Yang Jiechi"]]
      sources: [a.txt]
    - question: Who did he meet?
      answer_any: [["Kerry"]]
      sources: [a.txt]
  tags: [conversation]
"""

SUMMIT = "The summit will be held in Xi’an in May."


def good_script() -> dict[str, Any]:
    def follow_up(history: Sequence[Turn]) -> Any:
        return reply(
            "He met John Kerry [1]", [cite("a.txt", "Yang Jiechi met John Kerry.")], hits("a.txt")
        )

    return {
        "Where will the summit be held?": reply(
            "[1]", [cite("a.txt", SUMMIT)], hits("b.txt", "a.txt")
        ),
        "How many times was cooperation mentioned?": reply(
            "31 times [1]", [cite("b.txt", "Cooperation was mentioned 31 times.")], hits("b.txt")
        ),
        "Who met Kerry?": reply("Yang Jiechi [1]", [cite("a.txt", "Yang Jiechi")], hits("a.txt")),
        "Who did he meet?": follow_up,
    }


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE, encoding="utf-8")
    return path


def test_a_perfect_run(suite: Path) -> None:
    fake = FakeAssistant(good_script())
    report = run_suites([suite], fake, k=4)
    s = report.summary
    assert [c.passed for c in report.cases] == [True, True, True, True]
    assert s["cases"] == 4 and s["turns"] == 5
    assert s["correctness"] == 1.0 and s["pass_rate"] == 1.0
    assert s["refusal_precision"] == 1.0 and s["refusal_recall"] == 1.0
    assert s["citation_validity"] == 1.0 and s["citation_precision"] == 1.0
    assert s["recall_at_k"] == 1.0
    assert s["mrr"] == pytest.approx((0.5 + 1 + 1 + 1) / 4)
    assert s["evidence_cited"] == 1.0
    assert s["latency_p50_s"] is not None
    assert all(kwargs == {"k": 4} for _, _, kwargs in fake.calls)
    question, history, _ = fake.calls[-1]
    assert question == "Who did he meet?"
    assert history == [Turn("Who met Kerry?", "Yang Jiechi [1]", "Who met Kerry?")]
    assert report.backend == "fake" and report.model == "scripted" and report.k == 4
    assert report.index["articles"] == 2


def test_failures_are_scored_per_turn(suite: Path) -> None:
    script = good_script()
    script["Where will the summit be held?"] = reply("No idea", refused=True)
    script["How many times was cooperation mentioned?"] = reply(
        "31 [1]", [cite("b.txt", "31 times", shift=2)], hits("a.txt")
    )
    script["What about the Olympics?"] = reply("The summit [1]", [cite("a.txt", SUMMIT)])
    script["Who did he meet?"] = failing("the endpoint is down")
    report = run_suites([suite], FakeAssistant(script))
    tourism, count, olympics, talk = report.cases
    assert not tourism.passed and tourism.turns[0].missing == [["Xi'an", "Xian"]]
    assert count.turns[0].correct and not count.passed  # right words, wrong offsets
    assert count.turns[0].citations[0]["valid"] is False
    assert count.turns[0].recall_at_k == 0.0 and count.turns[0].mrr == 0.0
    assert not olympics.passed
    assert talk.turns[0].passed and "endpoint is down" in talk.turns[1].error
    s = report.summary
    assert s["correctness"] == pytest.approx(2 / 5)
    assert s["refusal_precision"] == 0.0 and s["refusal_recall"] == 0.0
    assert s["citation_validity"] == pytest.approx(2 / 3)
    assert s["invalid_citations"] == 1 and s["errors"] == 1


def test_gold_data_is_checked_against_the_assistants_articles(suite: Path) -> None:
    fake = FakeAssistant(good_script(), texts={"a.txt": "unrelated"})
    with pytest.raises(SuiteError) as err:
        run_suites([suite], fake)
    text = str(err.value)
    assert "tourism: evidence not in its sources" in text
    assert "count: unknown source 'b.txt'" in text
    assert fake.calls == []  # nothing is asked before the suite is known to be sound


def test_only_and_tag_filters(suite: Path) -> None:
    fake = FakeAssistant(good_script())
    assert [c.id for c in run_suites([suite], fake, only=["count"]).cases] == ["count"]
    assert [c.id for c in run_suites([suite], fake, tags=["conversation"]).cases] == ["talk"]


def test_json_and_markdown_reports(suite: Path, tmp_path: Path) -> None:
    script = good_script()
    script["What about the Olympics?"] = reply("The summit [1]", [cite("a.txt", SUMMIT)])
    report = run_suites([suite], FakeAssistant(script))
    out = tmp_path / "r.json"
    write_json(report, out)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {"settings", "versions", "summary", "cases", "backend", "model", "index", "k"} <= set(
        data
    )
    assert {"python", "assistant", "chromadb"} <= set(data["versions"])
    turn = data["cases"][0]["turns"][0]
    assert turn["answer"] == "[1]" and turn["retrieved"] == ["b.txt", "a.txt"]
    citation = turn["citations"][0]
    assert citation["end"] - citation["start"] == len(SUMMIT) and citation["valid"] is True
    assert {"correct", "recall_at_k", "mrr", "citation_validity", "passed", "latency_s"} <= set(
        turn
    )
    markdown = to_markdown(report)
    assert "## Failures" in markdown and "### olympics" in markdown
    assert "answered (should refuse)" in markdown
    console = Console(record=True, width=160)
    render_terminal(report, console)
    shown = console.export_text()
    assert "olympics" in shown and "FAIL" in shown and "citation validity" in shown


def test_baseline_comparison_flags_regressions_and_fixes(suite: Path) -> None:
    good = run_suites([suite], FakeAssistant(good_script())).to_dict()
    script = good_script()
    script["How many times was cooperation mentioned?"] = reply("I cannot say", refused=True)
    worse = run_suites([suite], FakeAssistant(script)).to_dict()
    result = compare(worse, good, tolerance=0.02)
    assert result.failed
    assert [f.id for f in result.regressions] == ["count"]
    assert result.regressions[0].deltas["correct"] == -1.0
    assert {m.name for m in result.dropped} >= {"correctness", "pass_rate"}
    back = compare(good, worse)
    assert not back.failed and [f.id for f in back.fixes] == ["count"]
    assert not compare(good, good).failed


def test_a_small_metric_drop_within_tolerance_passes() -> None:
    base = {"summary": {"correctness": 0.90}, "cases": []}
    assert not compare({"summary": {"correctness": 0.89}, "cases": []}, base, 0.02).failed
    assert compare({"summary": {"correctness": 0.85}, "cases": []}, base, 0.02).failed


# --- the command ------------------------------------------------------------------------


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    from assistant.answer import service

    built: dict = {}

    def from_settings(settings: object = None, *, on_status: object = None) -> FakeAssistant:
        built["settings"] = settings
        return built.setdefault("assistant", FakeAssistant(good_script()))

    monkeypatch.setattr(service.Assistant, "from_settings", staticmethod(from_settings))
    application = typer.Typer()
    eval_cli.register(application)

    @application.command("noop", hidden=True)
    def noop() -> None:
        """A second command keeps typer from collapsing the app into its one command."""

    application.built = built  # type: ignore[attr-defined]
    return application


def test_cli_runs_and_writes_reports(app: typer.Typer, suite: Path, tmp_path: Path) -> None:
    out, md = tmp_path / "r.json", tmp_path / "r.md"
    result = CliRunner().invoke(
        app,
        ["eval", str(suite), "--json", str(out), "--markdown", str(md), "--backend", "extractive"],
    )
    assert result.exit_code == 0, result.output
    assert "Summary" in result.output and "PASS" in result.output
    assert json.loads(out.read_text(encoding="utf-8"))["summary"]["correctness"] == 1.0
    assert md.read_text(encoding="utf-8").startswith("# Eval report")
    assert app.built["settings"].answer.backend == "extractive"  # type: ignore[attr-defined]


def test_cli_exits_2_on_a_malformed_suite(app: typer.Typer, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- id: x\n  question: Q?\n  answr_any: [[y]]\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:3: x: unknown key 'answr_any'" in result.output


def test_cli_baseline_gate(app: typer.Typer, suite: Path, tmp_path: Path) -> None:
    base = tmp_path / "base.json"
    assert CliRunner().invoke(app, ["eval", str(suite), "--json", str(base)]).exit_code == 0
    assert CliRunner().invoke(app, ["eval", str(suite), "--baseline", str(base)]).exit_code == 0
    app.built["assistant"].script["Who met Kerry?"] = reply("dunno", refused=True)  # type: ignore[attr-defined]
    result = CliRunner().invoke(app, ["eval", str(suite), "--baseline", str(base)])
    assert result.exit_code == 8  # regressed or below a floor
    assert "Regressions" in result.output and "talk" in result.output


def test_cli_floors(app: typer.Typer, suite: Path) -> None:
    app.built.setdefault("assistant", FakeAssistant(good_script()))  # type: ignore[attr-defined]
    app.built["assistant"].script["What about the Olympics?"] = reply("x")  # type: ignore[attr-defined]
    result = CliRunner().invoke(app, ["eval", str(suite), "--min-refusal-recall", "0.8"])
    assert result.exit_code == 8  # regressed or below a floor
    assert "refusal_recall 0.000 < floor 0.8" in result.output
    assert CliRunner().invoke(app, ["eval", str(suite), "--min-correctness", "0.5"]).exit_code == 0


def test_cli_rejects_an_unknown_only_id(app: typer.Typer, suite: Path) -> None:
    result = CliRunner().invoke(app, ["eval", str(suite), "--only", "nope"])
    assert result.exit_code == 2 and "nope: no case has this id" in result.output


class ScriptedJudgeModel:
    """A ChatModel that replies from a list, one reply per call."""

    name = "judge-fake"

    def __init__(self, replies: list[str]) -> None:
        self.replies = list(replies)

    def stream(self, messages: list[dict[str, str]]) -> Any:
        yield self.replies.pop(0)


def test_the_experimental_judge_is_reported_apart(suite: Path) -> None:
    from evals.judge import QuoteJudge

    judge = QuoteJudge(ScriptedJudgeModel(["YES", "no.", "YES", "Maybe", "YES"]))
    report = run_suites([suite], FakeAssistant(good_script()), judge=judge)
    judged = [t.judge for c in report.cases for t in c.turns]
    assert judged == [1.0, 0.0, None, 1.0, None]  # refusals are not judged; "Maybe" is no verdict
    assert report.judge is not None and report.judge["experimental"] is True
    assert report.judge["faithfulness"] == pytest.approx(2 / 3)
    assert "judge" not in report.summary and "faithfulness" not in report.summary
