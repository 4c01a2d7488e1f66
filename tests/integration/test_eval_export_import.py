"""Eval data out and back in: `eval --export jsonl` → `eval import jsonl` gives the same cases;
`--export ragas` rows carry ragas' fields; every exported citation's offsets hold."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from evals.export import RAGAS_KEYS
from evals.suite import Case, load_suites, select
from tests.conftest import ROOT, SEEDS

pytestmark = pytest.mark.slow

SUITE = ROOT / "evals" / "seeds.yaml"
CHOSEN = [
    "gt-kerry-video-meeting",
    "gt-published",
    "mfa-kerry-response",
    "no-kerry-taiwan",
    "conv-kerry-followup",
]


def assistant(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )


def comparable(cases: list[Case]) -> list[Case]:
    return [
        replace(c, file="", line=0, turns=tuple(replace(t, line=0) for t in c.turns)) for c in cases
    ]


def test_export_then_import_gives_the_same_cases(tmp_path: Path) -> None:
    only = [arg for case_id in CHOSEN for arg in ("--only", case_id)]
    rows_file, ragas_file, suite = (
        tmp_path / "rows.jsonl",
        tmp_path / "ragas.jsonl",
        tmp_path / "back.yaml",
    )
    run = assistant("eval", str(SUITE), *only, "--export", "jsonl", str(rows_file))
    assert run.returncode == 0, run.stderr
    rows = [json.loads(line) for line in rows_file.read_text().splitlines()]
    original = select(load_suites([SUITE]), CHOSEN)
    assert len(rows) == sum(len(c.turns) for c in original)
    for row in rows:
        assert set(RAGAS_KEYS) <= row.keys()
        assert isinstance(row["refused"], bool)
        for c in row["citations"]:
            text = (SEEDS / c["article_id"]).read_bytes().decode("utf-8")
            assert text[c["start"] : c["end"]] == c["quote"]
    answered = [r for r in rows if r["answerable"]]
    assert all(r["retrieved_contexts"] and r["response"] for r in answered)
    assert [r["refused"] for r in rows if r["id"] == "no-kerry-taiwan"] == [True]

    back = assistant("eval", "import", "jsonl", str(rows_file), "--out", str(suite))
    assert back.returncode == 0, back.stderr
    assert comparable(load_suites([suite])) == comparable(original)

    ragas = assistant("eval", str(SUITE), "--only", CHOSEN[0], "--export", "ragas", str(ragas_file))
    assert ragas.returncode == 0, ragas.stderr
    row = json.loads(ragas_file.read_text().splitlines()[0])
    assert tuple(row) == RAGAS_KEYS
    assert row["reference"] == "Yang Jiechi"


def test_a_foreign_dataset_imports_and_bad_lines_are_named(tmp_path: Path) -> None:
    data = tmp_path / "qa.jsonl"
    data.write_text(
        json.dumps(
            {
                "question": "Who met Kerry by video?",
                "answer": "Yang Jiechi",
                "ids": ["003_7d1f377c2dc1bafd.txt"],
            }
        )
        + "\n"
        + json.dumps({"user_input": "Who won the 2030 World Cup?", "answerable": False})
        + "\n"
    )
    out = tmp_path / "qa.yaml"
    done = assistant("eval", "import", "jsonl", str(data), "--out", str(out))
    assert done.returncode == 0, done.stderr
    cases = load_suites([out])
    assert [c.turns[0].answer_any for c in cases] == [(("Yang Jiechi",),), ()]
    assert cases[0].turns[0].sources == ("003_7d1f377c2dc1bafd.txt",)
    assert cases[1].turns[0].answerable is False
    data.write_text('{"question": "Who?"}\nnot json\n')
    bad = assistant("eval", "import", "jsonl", str(data), "--out", str(out))
    assert bad.returncode == 2
    assert "qa.jsonl:1" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
