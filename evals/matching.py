"""Text matching for scoring: typographic quotes, dashes and whitespace never decide a case.

The articles write "Xi’an" with a curly apostrophe and a suite author types "Xi'an"; both
normalise to the same text. ``answer_any`` alternatives also match only on word boundaries,
so "31" does not match "2031" and "AI" does not match "said".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u02bc": "'",
        "\u0060": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00ad": None,
        "\u200b": None,
        "\ufeff": None,
    }
)


def normalize(text: str) -> str:
    """Case-folded NFKC text with plain quotes and hyphens and single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return " ".join(text.split()).casefold()


def contains(haystack: str, needle: str) -> bool:
    """``needle`` occurs in ``haystack`` after normalising both."""
    n = normalize(needle)
    return bool(n) and n in normalize(haystack)


def _pattern(alternative: str) -> re.Pattern[str]:
    text = normalize(alternative)
    left = r"(?<!\w)" if text[:1].isalnum() else ""
    right = r"(?!\w)" if text[-1:].isalnum() else ""
    return re.compile(left + re.escape(text) + right)


def matches_alternative(text: str, alternative: str) -> bool:
    """``alternative`` occurs in ``text`` as whole words (after normalising both)."""
    return (
        bool(normalize(alternative)) and _pattern(alternative).search(normalize(text)) is not None
    )


def matches_groups(text: str, groups: Sequence[Sequence[str]]) -> bool:
    """True when ``text`` contains one alternative of every group."""
    return all(any(matches_alternative(text, alt) for alt in group) for group in groups)


def missing_groups(text: str, groups: Sequence[Sequence[str]]) -> list[list[str]]:
    """The groups none of whose alternatives occur: what a failing answer lacked."""
    return [list(g) for g in groups if not any(matches_alternative(text, a) for a in g)]


def any_contains(texts: Iterable[str], fragments: Sequence[str]) -> bool:
    """Some fragment occurs in some text."""
    normalized = [normalize(t) for t in texts]
    return any(
        (f := normalize(fragment)) and any(f in t for t in normalized) for fragment in fragments
    )
