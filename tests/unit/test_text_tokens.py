"""The one tokenizer and stemmer: word families meet, and its word lists are general English."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from assistant.text.tokens import IRREGULAR, STOPWORDS, stem, terms, words
from tests.conftest import SEEDS


@pytest.mark.parametrize(
    ("a", "b"),
    [("score", "scored"), ("rise", "rose"), ("trade", "traded"), ("win", "won"),
     ("meet", "met"), ("cooperate", "cooperating"), ("city", "cities"), ("tariff", "tariffs")],
)
def test_word_families_share_a_stem(a: str, b: str) -> None:
    assert stem(a) == stem(b)


def test_terms_drop_function_words_and_keep_numbers_and_compounds() -> None:
    assert terms("The 2012 five-point plan was approved") == [
        "2012", "five-point", "five", "point", "plan", "approv"
    ]


def test_words_fold_case_quotes_and_possessives() -> None:
    assert words("Xi’an’s MAYOR") == ["xi'an", "mayor"]


def test_emoji_and_other_scripts_do_not_break_tokenizing() -> None:
    assert terms("bridge 🚧 repair 北京") == ["bridg", "repair", "北京"]


def _data_words(name: str) -> set[str]:
    text = resources.files("assistant.text").joinpath(name).read_text(encoding="utf-8")
    return {w for line in text.splitlines() if not line.startswith("#") for w in line.split()}


def test_word_lists_name_no_entity_of_the_seed_articles() -> None:
    """The lists are general English: none of their words is a name the seeds capitalise
    mid-sentence (people, places, organisations)."""
    names: set[str] = set()
    lowercase: set[str] = set()
    for path in SEEDS.iterdir():
        text = path.read_text(encoding="utf-8", errors="replace")
        names |= {m.lower() for m in re.findall(r"(?<=[a-z,] )([A-Z][a-z]{2,})", text)}
        lowercase |= set(re.findall(r"\b[a-z]{3,}\b", text))
    names -= lowercase  # capitalised only: a name, not a word that opened a phrase
    listed = _data_words("stopwords.txt") | _data_words("irregular.txt")
    assert listed & names == set()
    assert STOPWORDS and IRREGULAR
