"""Who a sentence attributes its words to ("Wang said", "said Yang, who…", "according to
Price"): a grammar rule over capitalised names next to a verb of saying, no lists of names."""

from __future__ import annotations

import re

_VERBS = (
    r"(?:said|says|noted|notes|added|adds|stressed|stresses|told|urged|urges|argued|argues|"
    r"warned|warns|stated|states|pointed\s+out|emphasi[sz]ed|emphasi[sz]es|remarked|explained|"
    r"insisted|claimed|claims|announced|asserted|wrote|writes|commented|suggested|hoped|hopes|"
    r"criticized|criticised|accused|called\s+on|reiterated|underlined|underscored)"
)
_NAME = r"[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3}"
_BEFORE_VERB = re.compile(
    rf"(?P<name>{_NAME})(?:,\s[^,.;“”\"]{{1,120}},)?\s+(?:has\s+|had\s+|also\s+|then\s+|"
    rf"once\s+)?{_VERBS}\b"
)
_AFTER_VERB = re.compile(rf"\b{_VERBS}\s+(?P<name>{_NAME})(?=\s*[,.;:]|\s+(?:who|in|on|at)\b)")
_ACCORDING = re.compile(rf"\b(?i:according)\s+to\s+(?P<name>{_NAME})")
# Closed-class English words that open a sentence in capitals but never name a speaker.
_FUNCTION = frozenset(
    "a an the as but and or so yet if when while after before in on at for from with by to of "
    "however meanwhile moreover still also then there here this that these those it its he she "
    "they we i you his her their our my your one some many most both all each such no not "
    "mr mrs ms dr".split()
)
_PRONOUN = frozenset("he she they it we i you this that who which".split())


def speaker_of(sentence: str) -> str:
    """The name the sentence credits with its words, or "" when it names none."""
    found = [
        (m.start("name"), _clean(m.group("name")))
        for pattern in (_BEFORE_VERB, _AFTER_VERB, _ACCORDING)
        for m in pattern.finditer(sentence)
    ]
    named = sorted((pos, name) for pos, name in found if name)
    return named[0][1] if named else ""


def _clean(name: str) -> str:
    words = name.rstrip(".").split()
    while words and words[0].casefold() in _FUNCTION:
        words = words[1:]
    if not words or (len(words) == 1 and words[0].casefold() in _PRONOUN):
        return ""
    return " ".join(words)
