"""Word-level text analysis shared by the extractive answerer and the rewriter: terms,
names, numbers, and the aliases under which the same country or capital appears."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because
    been before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers herself him himself his how i if
    in into is it its itself just me more most my no nor not now of off on once only or other
    our ours out over own same she should so some such than that the their theirs them then
    there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours according article articles say said
    says tell told describe mention mentioned report reported reports news piece ever really
    per via one two whose regarding toward towards did""".split()
)
QUESTION_WORDS = frozenset("who whom whose what when where which why how".split())
MONTHS = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())

# Surface forms that name the same actor; matched as whole terms after lowercasing.
ALIASES: dict[str, frozenset[str]] = {
    "us": frozenset({"us", "u.s", "u.s.", "united states", "america", "american", "washington"}),
    "china": frozenset({"china", "chinese", "beijing", "prc"}),
    "russia": frozenset({"russia", "russian", "moscow", "kremlin"}),
}

_WORD = re.compile(r"[A-Za-z0-9]+(?:[’'.\-][A-Za-z0-9]+)*")
_NAME = re.compile(
    r"(?:[A-Z][a-z]+(?:[’'\-][A-Za-z]+)*|[A-Z]{2,}|[A-Z]\.[A-Z]\.?)"
    r"(?:\s+(?:[A-Z][a-z]+(?:[’'\-][A-Za-z]+)*|[A-Z]{2,}))*"
)
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)*(?:st|nd|rd|th)?\b")


def normalize(text: str) -> str:
    return text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')


def stem(word: str) -> str:
    """A light suffix stripper: enough to match cooperate/cooperation, visits/visit."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    for suffix, keep in (
        ("ational", 5), ("ation", 4), ("ities", 4), ("ness", 4), ("ment", 4), ("ing", 4),
        ("ies", 3), ("ied", 3), ("ed", 4), ("es", 4), ("ly", 4), ("s", 3),
    ):
        if w.endswith(suffix) and len(w) - len(suffix) >= keep:
            w = w[: -len(suffix)]
            break
    if len(w) > 5 and w.endswith("e"):
        w = w[:-1]
    return w


def words(text: str) -> list[str]:
    return [m.group(0) for m in _WORD.finditer(text)]


def term_set(text: str) -> set[str]:
    """Stemmed content terms of ``text`` plus alias keys for the actors it names."""
    lowered = normalize(text).lower()
    found = {stem(w) for w in words(lowered) if w not in STOPWORDS}
    for key, forms in ALIASES.items():
        if any(_has_form(lowered, form) for form in forms):
            found.add(f"@{key}")
    return found


def _has_form(lowered: str, form: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(form)}(?![a-z0-9])", lowered) is not None


@dataclass
class Query:
    """What the answerer needs to know about a question."""

    text: str
    kind: str
    terms: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)


def question_kind(text: str) -> str:
    lowered = text.lower().strip()
    for kind in ("how many", "how much", "how long", "how"):
        if lowered.startswith(kind):
            return kind.replace(" ", "_")
    first = lowered.split(" ", 1)[0] if lowered else ""
    return first if first in QUESTION_WORDS else "other"


def names(text: str) -> list[str]:
    """Proper-name phrases in ``text`` (capitalised runs), without leading question words,
    months and weekdays, or names that are only the usual country aliases."""
    found: list[str] = []
    for match in _NAME.finditer(text):
        tokens = [t for t in match.group(0).split() if not _is_function_word(t)]
        while tokens and tokens[0].lower() in STOPWORDS | QUESTION_WORDS:
            tokens.pop(0)
        if not tokens:
            continue
        phrase = " ".join(tokens)
        if all(_is_alias(t) for t in tokens) or phrase in found:
            continue
        found.append(phrase)
    return found


def _is_function_word(token: str) -> bool:
    lowered = token.lower()
    return lowered in MONTHS or lowered in WEEKDAYS or (
        lowered in STOPWORDS and token not in {"US", "U.S."}
    )


def _is_alias(token: str) -> bool:
    lowered = token.lower().rstrip(".")
    return any(lowered in forms or lowered + "." in forms for forms in ALIASES.values())


def analyse(question: str) -> Query:
    text = normalize(question)
    body = text.split(" ", 1)[1] if " " in text else ""
    name_list = names(body)
    numbers = [n.lower() for n in _NUMBER.findall(text)]
    terms = [stem(w) for w in words(text.lower()) if w not in STOPWORDS and w not in QUESTION_WORDS]
    return Query(
        text=question,
        kind=question_kind(text),
        terms=list(dict.fromkeys(t for t in terms if t)),
        names=name_list,
        numbers=list(dict.fromkeys(numbers)),
    )


def name_keys(name: str) -> list[str]:
    """The words that identify a name in text: the whole phrase, its last word, and for a
    two-word name its first word (surname-first names such as "Xi Jinping")."""
    tokens = normalize(name).lower().split()
    keys = [" ".join(tokens), tokens[-1]]
    if len(tokens) == 2 and len(tokens[0]) >= 2:
        keys.append(tokens[0])
    return list(dict.fromkeys(keys))


def mentions(text_lower: str, name: str) -> bool:
    """Whether normalised lowercase ``text_lower`` names ``name`` (by any of its keys)."""
    return any(_has_form(text_lower, key) for key in name_keys(name))


_INSTITUTION_WORDS = frozenset(
    """member political bureau central committee commission office department ministry party
    council state secretary minister president presidential vice premier envoy special director
    spokesman spokesperson ambassador foreign affairs general university academy institute
    center centre house administration government communist people's republic national
    chairman chair senior deputy leader prime agency military force forces""".split()
)


def person_names(text: str) -> list[str]:
    """Names that look like people's: two or three capitalised words, none of them a title
    or institution word (so "Yang Jiechi", not "Political Bureau")."""
    out: list[str] = []
    for phrase in names(text):
        tokens = phrase.split()
        while tokens and tokens[0].lower().strip("’'") in _INSTITUTION_WORDS:
            tokens.pop(0)
        if not 2 <= len(tokens) <= 3:
            continue
        if any(t.lower() in _INSTITUTION_WORDS or t.isupper() for t in tokens):
            continue
        candidate = " ".join(tokens)
        if candidate not in out:
            out.append(candidate)
    return out
