"""Prompt templates are data, checked for their {variables} when loaded."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.prompts import SPEC, PromptError, load_prompts
from assistant.settings import load_settings

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"


@pytest.fixture
def prompts_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "prompts"
    shutil.copytree(PROMPTS, dest)
    return dest


def test_the_shipped_prompts_load_from_the_settings_dir() -> None:
    prompts = load_prompts(load_settings().prompts_dir)
    assert prompts.answer_user.variables == {"history", "passages", "question"}


def test_every_template_file_is_known_and_every_known_template_has_a_file() -> None:
    assert {p.stem for p in PROMPTS.glob("*.txt")} == set(SPEC)


def test_the_answer_prompt_asks_for_evidence_ids_and_offers_cannot_answer() -> None:
    system = load_prompts(PROMPTS).answer_system.render(max_quotes=3)
    for field in ('"evidence"', '"answer"', '"cannot_answer"', '"reason"'):
        assert field in system
    assert "[p1.s2]" in system and "one to 3 sentences" in system
    assert "untrusted" in system


def test_a_missing_variable_is_named_with_its_file(prompts_copy: Path) -> None:
    path = prompts_copy / "answer_user.txt"
    path.write_text("Passages:\n{passages}\n", encoding="utf-8")
    with pytest.raises(PromptError, match=r"answer_user\.txt.*missing \{history\}, \{question\}"):
        load_prompts(prompts_copy)


def test_an_unknown_variable_is_named_with_its_file(prompts_copy: Path) -> None:
    path = prompts_copy / "rewrite.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\n{language}\n", encoding="utf-8")
    with pytest.raises(PromptError, match=r"rewrite\.txt.*unknown \{language\}"):
        load_prompts(prompts_copy)


@pytest.mark.parametrize(
    "text",
    ["{history} {question} {", "{history} {question} {0}", "{history} {question!r}", "{a.b}"],
)
def test_malformed_fields_are_errors(prompts_copy: Path, text: str) -> None:
    (prompts_copy / "rewrite.txt").write_text(text, encoding="utf-8")
    with pytest.raises(PromptError, match=r"rewrite\.txt"):
        load_prompts(prompts_copy)


def test_a_missing_file_is_named(prompts_copy: Path) -> None:
    (prompts_copy / "passage.txt").unlink()
    with pytest.raises(PromptError, match=r"passage\.txt"):
        load_prompts(prompts_copy)


def test_render_requires_exactly_the_template_variables() -> None:
    passage = load_prompts(PROMPTS).passage
    with pytest.raises(PromptError, match="missing=\\['text'\\]"):
        passage.render(n=1, outlet="o", title="t", date="d")
    rendered = passage.render(n=1, outlet="o", title="t", date="d", text="{not a field}")
    assert rendered.startswith('<passage id="p1" outlet="o" title="t" date="d">\n{not a field}')
