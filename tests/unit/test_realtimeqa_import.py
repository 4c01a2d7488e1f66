"""The RealTime QA converter on a tiny hand-made dataset in the benchmark's own format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from assistant.ingest.loaders import load
from assistant.types import Filters
from evals import cli as eval_cli
from evals.importers.realtimeqa import (
    ImportProblem,
    answer_alternatives,
    byline_of,
    convert,
    doc_id,
    normalise,
    outlet_of,
)
from evals.runner import run_cases
from evals.suite import load_suites
from tests.unit.evals_fakes import FakeAssistant

DEV_A, DEV_B, REPORT = "20220715", "20220916", "20230310"

LIGHTHOUSE = "https://www.example-news.com/2022/07/10/lighthouse/index.html"
BRIDGE = "https://www.dailyplanet.co.uk/bridge-story"
HARBOR = "https://harbor.example.org/story"


def q(week: str, n: int, sentence: str, choices: list[str], gold: int, day: str) -> dict[str, Any]:
    return {
        "question_id": f"{week}_{n}",
        "question_date": day,
        "question_source": "Example Quiz",
        "question_url": "https://quiz.example/",
        "question_sentence": sentence,
        "choices": choices,
        "answer": [str(gold)],
        "evidence": "<a href='x'>ignored</a>",
    }


def result(url: str, title: str, text: str | None, authors: list[str], date: str) -> dict[str, Any]:
    hit: dict[str, Any] = {"url": url, "title": title}
    if text is not None:
        hit.update(text=text, authors=authors, publish_date=date)
    return hit


LIGHTHOUSE_TEXT = (
    "CNN —\n\nThe town of Port Ellery reopened its lighthouse on Saturday.\n\n"
    "The keeper, Mara Quint, said the lamp had been dark for “Forty Years” before the repair."
)
BRIDGE_TEXT = "The new bridge over the Wend river cost $12 million, officials said."


def write_week(folder: Path, week: str, qa: list[dict[str, Any]], gcs: list[list[dict]]) -> None:
    lines = [json.dumps(item) for item in qa]
    (folder / f"{week}_qa.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = [
        json.dumps({"question_id": item["question_id"], "search_time": "x", "search_result": hits})
        for item, hits in zip(qa, gcs, strict=True)
    ]
    (folder / f"{week}_gcs.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    folder = tmp_path / "realtimeqa"
    folder.mkdir()
    write_week(
        folder,
        DEV_A,
        [
            q(DEV_A, 0, "Who keeps the lighthouse?", ["Mara Quint", "Ann Lee"], 0, "2022/07/14"),
            q(DEV_A, 1, "How long was the lamp dark?", ['"Forty years"', "Ten"], 0, "2022/07/14"),
            q(DEV_A, 2, "What did the bridge cost?", ["$12 million", "$3"], 0, "2022/07/14"),
            q(DEV_A, 3, "Which river is not crossed?", ["Thames", "Wend"], 0, "2022/07/14"),
            q(DEV_A, 4, "All of these reopened, except", ["the lighthouse", "x"], 0, "2022/07/14"),
            q(DEV_A, 5, "True or false: the lamp was dark.", ["True", "False"], 0, "2022/07/14"),
            q(DEV_A, 6, "Which river did the ferry cross?", ["Wend", "Ouse"], 0, "2022/07/14"),
        ],
        [
            [
                result(LIGHTHOUSE, "Lighthouse", LIGHTHOUSE_TEXT, ["Ann Byrd"], "2022/07/10"),
                result("https://www.example-news.com/no-text", "Only a title", None, [], ""),
            ],
            [
                # the same URL again, and the same text under another URL: both deduplicated
                result(LIGHTHOUSE, "Lighthouse reopens ...", LIGHTHOUSE_TEXT, [], "2022/07/10"),
                result(LIGHTHOUSE + "?amp", "Copy", LIGHTHOUSE_TEXT, [], "2022/07/10"),
            ],
            [
                result(
                    BRIDGE,
                    "Bridge: a $12 million crossing",
                    BRIDGE_TEXT,
                    ["Jo Park Li Wen", "Jo Park", "Li Wen"],
                    "2022/07/01",
                )
            ],
            [result(HARBOR, "Harbor", "The harbor was dredged.", [], "2021/01/02")],
            [],
            [],
            # its gold ("Wend") is only in the bridge article, returned for question 2
            [result(HARBOR, "Harbor", "The harbor was dredged.", [], "2021/01/02")],
        ],
    )
    write_week(
        folder,
        DEV_B,
        [
            q(DEV_B, 0, "Who won the regatta?", ["Team Orca", "Team Gull"], 0, "2022/09/15"),
            q(DEV_B, 1, "Who opened the lighthouse?", ["Mara Quint", "Bo"], 0, "2022/09/15"),
            q(DEV_B, 2, "Which town hosted it?", ["Lowmarsh", "Port"], 0, "2022/09/15"),
            q(DEV_B, 3, "Which bird was seen?", ["Heron", "Owl"], 0, "2022/09/15"),
        ],
        [
            [result("https://regatta.example/a", "Regatta", "Team Orca won.", [], "2022/09/10")],
            [],
            [],
            [],
        ],
    )
    write_week(
        folder,
        REPORT,
        [q(REPORT, 0, "Who won the chess final?", ["Ivo Sand", "Al"], 0, "2023-03-09")],
        [[result("https://chess.example/final", "Chess", "Ivo Sand won.", [], "2023/03/08")]],
    )
    return folder


def cases_by_id(path: Path) -> dict[str, Any]:
    return {c.id: c for c in load_suites([path])}


def test_articles_are_deduplicated_by_url_and_text_and_textless_results_skipped(
    dataset: Path, tmp_path: Path
) -> None:
    (week,) = convert(dataset, tmp_path / "out", [DEV_A])
    files = sorted(p.name for p in week.corpus.glob("*.md"))
    assert files == sorted([doc_id(LIGHTHOUSE), doc_id(BRIDGE), doc_id(HARBOR)])
    assert week.articles == 3


def test_front_matter_round_trips_through_the_ingest_loader(dataset: Path, tmp_path: Path) -> None:
    (week,) = convert(dataset, tmp_path / "out", [DEV_A])
    path = week.corpus / doc_id(BRIDGE)
    doc = load(path, path.name, 1_000_000)
    assert doc.extra_meta["title"] == "Bridge: a $12 million crossing"
    assert doc.extra_meta["outlet"] == "dailyplanet.co.uk"
    assert doc.extra_meta["published"] == "2022-07-01"
    assert doc.extra_meta["byline"] == "Jo Park, Li Wen"  # the run-together name is dropped
    assert "url: " + BRIDGE in doc.text
    assert doc.text.rstrip("\n").endswith(BRIDGE_TEXT)  # the body is the scraped text as is


def test_gold_matching_normalises_and_sources_are_the_articles_holding_it(
    dataset: Path, tmp_path: Path
) -> None:
    (week,) = convert(dataset, tmp_path / "out", [DEV_A])
    cases = cases_by_id(week.suite)
    keeper = cases[f"rtqa-{DEV_A}_0"].turns[0]
    assert keeper.answer_any == (("Mara Quint",),)
    assert keeper.sources == (doc_id(LIGHTHOUSE),)
    assert keeper.as_of == "2022-07-14"
    dark = cases[f"rtqa-{DEV_A}_1"].turns[0]  # straight quotes in the gold, curly in the text
    assert "Forty years" in dark.answer_any[0]
    cost = cases[f"rtqa-{DEV_A}_2"].turns[0]
    assert cost.sources == (doc_id(BRIDGE),)
    assert "$12 million" in cost.answer_any[0]
    # a gold no article holds, an "except" item and a true/false item are not asked
    for skipped in (3, 4, 5):
        assert f"rtqa-{DEV_A}_{skipped}" not in cases
    # a gold found only in another question's search results is a chance match: not asked
    assert f"rtqa-{DEV_A}_6" not in cases
    assert "# 1 questions not asked: their gold is only in articles returned for other" in (
        week.suite.read_text(encoding="utf-8")
    )
    assert {"realtimeqa", f"w{DEV_A}", "dev"} <= set(cases[f"rtqa-{DEV_A}_0"].tags)


def test_refusals_come_from_other_weeks_of_the_same_split_with_the_gold_absent(
    dataset: Path, tmp_path: Path
) -> None:
    (week,) = convert(dataset, tmp_path / "out", [DEV_A])
    cases = cases_by_id(week.suite)
    refusals = [c for c in cases.values() if not c.turns[0].answerable]
    answerable = [c for c in cases.values() if c.turns[0].answerable]
    assert len(answerable) == 3 and len(refusals) == 1  # about a third
    (refusal,) = refusals
    # DEV_B_1's gold (Mara Quint) is in this week's lighthouse article: never a refusal;
    # the report week is another split: never drawn either.
    assert refusal.id in {f"rtqa-{DEV_A}-absent-{DEV_B}_{n}" for n in (0, 2, 3)}
    # asked of this week's archive on this week's date, not on the question's own week's
    assert "refusal" in refusal.tags and refusal.turns[0].as_of == "2022-07-14"


def test_conversion_is_deterministic_and_names_the_split(dataset: Path, tmp_path: Path) -> None:
    first = convert(dataset, tmp_path / "a")
    second = convert(dataset, tmp_path / "b")
    for one, two in zip(first, second, strict=True):
        assert one.suite.read_bytes() == two.suite.read_bytes()
        assert sorted(p.name for p in one.corpus.iterdir()) == sorted(
            p.name for p in two.corpus.iterdir()
        )
    header = first[0].suite.read_text(encoding="utf-8")
    assert "dev (fitting) weeks: 20220715, 20220916, 20221111, 20230106" in header
    assert "report weeks: 20230310, 20230512, 20230714, 20231006" in header
    report = cases_by_id(tmp_path / "a" / f"realtimeqa-{REPORT}.yaml")
    assert all("report" in c.tags for c in report.values())
    assert not any(DEV_A in c.id or DEV_B in c.id for c in report.values())


def test_unknown_weeks_and_empty_folders_are_errors(dataset: Path, tmp_path: Path) -> None:
    with pytest.raises(ImportProblem, match="no such week"):
        convert(dataset, tmp_path / "out", ["19990101"])
    with pytest.raises(ImportProblem, match=r"no YYYYMMDD_qa\.jsonl"):
        convert(tmp_path / "out", tmp_path / "x")


def test_the_runner_passes_as_of_as_a_filter(dataset: Path, tmp_path: Path) -> None:
    (week,) = convert(dataset, tmp_path / "out", [DEV_A])
    cases = load_suites([week.suite])
    fake = FakeAssistant({}, texts={})
    run_cases([c for c in cases if not c.turns[0].answerable], fake)
    assert fake.calls and fake.calls[0][2]["filters"] == Filters(as_of="2022-07-14")


def test_helpers() -> None:
    assert outlet_of("https://www.usatoday.com/story/x") == "usatoday.com"
    assert outlet_of("https://edition.cnn.com/a") == "edition.cnn.com"
    assert normalise("The “Sinners”, Xi’an!") == "sinners xian"
    assert byline_of(["A B", "A B", " C  D "]) == "A B, C D"
    # a small whole number may be spelled either way in the article
    assert answer_alternatives("9") == ["9", "nine"]
    assert answer_alternatives("Two") == ["Two", "2"]
    assert answer_alternatives("59%") == ["59%", "59"]
    assert answer_alternatives("1982") == ["1982"]


def test_the_import_command(dataset: Path, tmp_path: Path) -> None:
    app = typer.Typer()
    eval_cli.register(app)

    @app.command("noop", hidden=True)
    def noop() -> None:
        """A second command keeps typer from collapsing the app into its one command."""

    out = tmp_path / "out"
    args = ["eval", "import", "realtimeqa", str(dataset), "--out", str(out), "--weeks", DEV_B]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    assert f"{DEV_B} (dev): 1 articles, 1 answerable" in done.output
    assert (out / f"realtimeqa-{DEV_B}.yaml").is_file()
    assert not (out / f"realtimeqa-{DEV_A}.yaml").exists()
    bad = CliRunner().invoke(app, ["eval", "import", "realtimeqa", str(tmp_path), "--out", "x"])
    assert bad.exit_code == 2
