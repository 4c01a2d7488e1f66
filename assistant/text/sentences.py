"""Sentence boundaries as offsets, so an answer can quote whole sentences verbatim.

Rules of thumb for news prose: a line break always ends a sentence; ``.``, ``?``, ``!`` end one
when whitespace and something other than a lowercase letter follow, closing quotes and brackets
belong to the sentence they close (``…reform."``); a period after a title (Mr., Dr.) never ends
one, after Sep./No. not when a number follows, and after an initial or acronym (F., U.S.) only
when a word that usually opens a sentence follows ("...with the U.S. The talks...").
"""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_CLOSERS = "\"'”’»)]}」』"
_TERMINAL = re.compile(r"(?:\.{2,}|…+|[.?!]+)[\"'”’»)\]}」』]*|[。！？]+[”’」』)]*")
_OPENERS = "\"'“‘«([{"

_TITLES = _words(
    "mr mrs ms dr prof sen rep gov gen lt col capt sgt cmdr adm maj rev hon pres amb "
    "messrs mme mlle st fr supt insp"
)
_BEFORE_NUMBER = _words(
    "no nos vol vols fig figs art p pp sec ch para op jan feb mar apr jun jul aug "
    "sep sept oct nov dec"
)
_NEVER_FINAL = _words("e.g i.e vs cf viz al approx ca")
_ABBREVIATIONS = _words("inc ltd co corp bros etc est dept univ assn govt intl natl jr sr")
_STARTERS = _words(
    "a an the this that these those it its he she his her they their them we our i "
    "you but and or so yet if when while after before as at in on for from with by "
    "to of however meanwhile moreover still also then there here what who why how "
    "where which some many most both all each such no not one two three last next "
    "according despite during since until although though because mr mrs ms dr"
)


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence of ``text[start:end]``, trimmed of surrounding blanks."""
    stop = len(text) if end is None else min(end, len(text))
    spans: list[tuple[int, int]] = []
    line_start = start
    while line_start < stop:
        newline = text.find("\n", line_start, stop)
        line_end = stop if newline < 0 else newline
        spans.extend(_line_sentences(text, line_start, line_end))
        line_start = line_end + 1
    return spans


def _line_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    cursor = start
    for m in _TERMINAL.finditer(text, start, end):
        if m.end() < end and not text[m.end()].isspace() and not _is_cjk(m.group()):
            continue
        if _is_boundary(text, m, end):
            spans.extend(_trimmed(text, cursor, m.end()))
            cursor = m.end()
    spans.extend(_trimmed(text, cursor, end))
    return spans


def _is_boundary(text: str, m: re.Match[str], end: int) -> bool:
    if _is_cjk(m.group()):
        return True
    nxt = _next_word(text, m.end(), end)
    if not nxt:
        return True
    if nxt[0].islower():
        return False
    if m.group().rstrip(_CLOSERS) != ".":
        return True
    word = _word_before(text, m.start())
    key = word.lower()
    if key in _TITLES or key in _NEVER_FINAL:
        return False
    if key in _BEFORE_NUMBER:
        return not nxt[0].isdigit()
    if _is_initial_or_acronym(word) or key in _ABBREVIATIONS:
        return nxt[0] in _OPENERS or nxt.strip(_OPENERS).rstrip(",;:").lower() in _STARTERS
    return True


def is_blank(ch: str) -> bool:
    """Whitespace, including no-break spaces and a byte-order mark."""
    return ch.isspace() or ch == "\ufeff"


def _next_word(text: str, pos: int, end: int) -> str:
    while pos < end and is_blank(text[pos]):
        pos += 1
    stop = pos
    while stop < end and not text[stop].isspace():
        stop += 1
    return text[pos:stop]


def _word_before(text: str, pos: int) -> str:
    begin = pos
    while begin > 0 and not text[begin - 1].isspace():
        begin -= 1
    return text[begin:pos].lstrip(_OPENERS)


def _is_initial_or_acronym(word: str) -> bool:
    """``F`` (an initial) or ``U.S`` / ``a.m`` (letters joined by periods)."""
    parts = word.split(".")
    return all(len(p) == 1 and p.isalpha() for p in parts) and (len(parts) > 1 or word.isupper())


def _is_cjk(mark: str) -> bool:
    return mark[0] in "。！？"


def _trimmed(text: str, start: int, end: int) -> list[tuple[int, int]]:
    while start < end and is_blank(text[start]):
        start += 1
    while end > start and is_blank(text[end - 1]):
        end -= 1
    return [(start, end)] if start < end else []
