"""Words, stems and terms: the one tokenizer every layer uses (ingest, BM25, answering).

``terms`` is what retrieval indexes and what the answer scorer compares: lowercased words,
function words dropped, each reduced by Snowball's English stemmer (PyStemmer, the stemmer
bm25s accepts) after a table of irregular forms ("rose" → "rise", "won" → "win"). Both word
lists are data files beside this module, general English only.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

VERSION = "snowball-1"  # recorded with lexical indexes: a change here means a rebuild

# A word: letters/digits joined by apostrophes or hyphens ("Xi'an", "five-point", "U.S").
WORD = re.compile(r"[^\W_]+(?:[’'\-.][^\W_]+)*")
_APOSTROPHES = "’‘ʼ`"  # each read as "'"


def _data(name: str) -> list[str]:
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


STOPWORDS: frozenset[str] = frozenset(w for line in _data("stopwords.txt") for w in line.split())
IRREGULAR: dict[str, str] = {
    form: base for form, base, *_ in (line.split() for line in _data("irregular.txt"))
}


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


def fold(text: str) -> str:
    """Case-folded NFKC text with plain apostrophes: the form words are compared in."""
    text = unicodedata.normalize("NFKC", text)
    for mark in _APOSTROPHES:  # str.replace: ~9x faster than str.translate on an article
        if mark in text:
            text = text.replace(mark, "'")
    return text.casefold()


def words(text: str) -> list[str]:
    """Folded words; a compound ("five-point", "U.S.-China") also yields its parts."""
    out: list[str] = []
    for m in WORD.finditer(fold(text)):
        word = m.group(0).removesuffix("'s")
        out.append(word)
        if "-" in word:
            out.extend(p for p in word.split("-") if p)
    return out


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The stem of one folded word: irregular forms first, then Snowball."""
    word = word.removesuffix("'s").replace(".", "")
    base = IRREGULAR.get(word, word)
    return str(_stemmer().stemWord(base))


def _stemmed(text: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in words(text) if w not in STOPWORDS)


_terms = lru_cache(maxsize=131072)(_stemmed)


def terms(text: str, *, cache: bool = True) -> list[str]:
    """Stemmed content words of ``text`` in order (function words dropped). Cached: the
    same sentences come back query after query; ``cache=False`` for text seen once (a chunk
    being indexed), which would only crowd the cache."""
    return list(_terms(text) if cache else _stemmed(text))


def term_set(text: str) -> set[str]:
    return set(_terms(text))
