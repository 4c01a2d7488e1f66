"""The promise behind every answer: each citation is the article file's own text at its
offsets — checked over every question of the seeds suite and a few free-form ones."""

from __future__ import annotations

import pytest
import yaml

from assistant.answer.service import Assistant
from assistant.settings import load_settings
from assistant.types import Turn
from tests.conftest import ROOT, SEEDS

pytestmark = pytest.mark.slow

EXTRA = [
    "What does the China Daily editorial say about color revolutions?",
    "Who is Diao Daming?",
    "What did Biden say about Russia?",
    "Why did Kerry visit China?",
    "What are the five points of the consensus?",
]


def questions() -> list[list[str]]:
    cases = yaml.safe_load((ROOT / "evals" / "seeds.yaml").read_text(encoding="utf-8"))
    convs = [
        [t["question"] for t in c["turns"]] if "turns" in c else [c["question"]] for c in cases
    ]
    return convs + [[q] for q in EXTRA]


def test_every_json_citation_is_the_file_text_at_its_offsets() -> None:
    assistant = Assistant.from_settings(load_settings())
    checked = 0
    for conversation in questions():
        history: list[Turn] = []
        for question in conversation:
            data = assistant.ask(question, history).to_dict()
            for c in data["citations"]:
                text = (SEEDS / c["article_id"]).read_bytes().decode("utf-8")
                assert text[c["start"] : c["end"]] == c["quote"], (question, c)
                assert c["outlet"] or c["title"], "a citation must say who is speaking"
                checked += 1
            history.append(Turn(question, data["answer"], data["standalone_question"]))
    assert checked >= 80
