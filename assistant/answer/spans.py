"""Short answers inside a sentence: the dates, numbers, names and places it contains, as
offsets, so the answer can lead with the span ("Xi'an [1]") and verify it like a quote.

Patterns are English news conventions (month names, "in"/"at" before a place, capitalised
names), nothing about any one corpus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.answer.question import DAY_WORDS, MONTH_WORDS, Question
from assistant.text.sentences import sentence_spans
from assistant.text.tokens import STOPWORDS, WORD, fold, stem, term_set

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
DATE = re.compile(
    rf"\b(?:{_DAY},?\s+)?{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{4}})?\b"
    rf"|\b(?:(?:early|mid|late)[- ])?{_MONTH}\s+(?:of\s+)?\d{{4}}\b"
    rf"|\b\d{{4}}-\d{{2}}-\d{{2}}\b"
    rf"|\b(?:in|since|by|until|from|of)\s+(?:the\s+)?(?:1[5-9]|20)\d{{2}}s?\b"
    rf"|\b(?:1[5-9]|20)\d{{2}}\b"
    rf"|\b{_DAY}\b"
    r"|\b(?:yesterday|today|tomorrow|last (?:week|month|year)|next (?:week|month|year))\b"
)
_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundred|dozen|a dozen|dozens|hundreds|thousands|millions|billions"
)
# A number starts a word: "G7", "Q3" and a decade's "'20s" hold no number.
NUMBER = re.compile(
    r"(?<![\w'’.])[$€£¥]?\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:%|percent|per cent|million|billion|trillion|"
    r"thousand|years? old|-year-old|points?|km|miles|kg|pounds|degrees|people|deaths))?"
    rf"|\b(?:{_NUMBER_WORDS})(?:[- ](?:{_NUMBER_WORDS}))*\b(?:\s(?:million|billion|percent))?",
    re.IGNORECASE,
)
_NAME_TOKEN = r"[A-Z][\w'’&-]*(?:\.(?=\w)[\w'’-]*)*\.?"
# A name starts a word: "iPhone" holds no name "Phone", "eBay" no "Bay".
NAME = re.compile(
    rf"(?<![\w'’]){_NAME_TOKEN}(?: (?:(?:of|de|la|le|the|and|for|van|von|al|bin|da|di|du|del) )?"
    rf"{_NAME_TOKEN})*"
)
_PLACE_CUE = re.compile(r"\b(?:in|at|from|to|near|across|outside|inside|into)\s+(?:the\s+)?$")
# Words after which two capitalised words are a place, not a person ("died in New York").
_IN_PLACE = re.compile(r"\b(?:in|near|across|outside|inside|into)\s+(?:the\s+)?$")
# A wire dateline or credit opening a story's first sentence: "WASHINGTON —", "GENEVA (AP) —",
# "CNN —", "(CNN)". It names where the story was filed or who filed it, never the answer.
_CREDIT = r"\([A-Z][A-Za-z.&]*(?: [A-Z][A-Za-z.&]*){0,2}\)"  # (CNN), (AP), (Reuters)
_CAPS = r"[A-Z][A-Z.'’&-]*(?:[ ,]+[A-Z][A-Z.'’&-]*)*"  # WASHINGTON, SAN FRANCISCO
# With no space after the dash ("WASHINGTON—The House…", "BEIJING –Officials…") the first
# word must have three capitals or more, so "US–China talks" keeps its "US".
_CAPS3 = r"[A-Z][A-Z.'’&-]{2,}(?:[ ,]+[A-Z][A-Z.'’&-]*)*"
DATELINE = re.compile(
    rf"^\s*(?:{_CAPS},?\s*(?:{_CREDIT}\s*)?(?:--?|[—–])(?=\s)"
    rf"|{_CAPS3},?\s*(?:{_CREDIT}\s*)?[—–](?=[A-Z\"“])"
    rf"|{_CREDIT})\s*"
)


@dataclass(frozen=True, slots=True)
class SpanMatch:
    start: int  # offsets into the sentence
    end: int
    kind: str  # date, number, name, place; person (a person-like name, for "who")


@lru_cache(maxsize=32768)
def spans(sentence: str) -> tuple[SpanMatch, ...]:
    """Every typed span of ``sentence``: dates, numbers, names and places (a name after a
    place preposition is also a place). Cached: sentences recur across questions."""
    return tuple(_spans(sentence))


def _spans(sentence: str) -> list[SpanMatch]:
    line = DATELINE.match(sentence)
    if line:
        return [
            SpanMatch(s.start + line.end(), s.end + line.end(), s.kind)
            for s in _spans_of(sentence[line.end() :])
        ]
    return _spans_of(sentence)


def _spans_of(sentence: str) -> list[SpanMatch]:
    out: list[SpanMatch] = []
    for m in DATE.finditer(sentence):
        start = m.start()
        word = re.match(r"(?:in|since|by|until|from|of)\s+(?:the\s+)?", m.group(0))
        if word:
            start += word.end()
        out.append(SpanMatch(start, m.end(), "date"))
    dated = [(s.start, s.end) for s in out]
    for m in NUMBER.finditer(sentence):
        s, e = m.start(), m.end()
        while s < e and sentence[s].isspace():
            s += 1
        if any(a <= s < b for a, b in dated):
            continue
        out.append(SpanMatch(s, e, "number"))
    for m in NAME.finditer(sentence):
        s, e = _trim_name(sentence, m.start(), m.end())
        if s >= e or fold(sentence[s:e]) in MONTH_WORDS | DAY_WORDS:
            continue
        kind = "place" if _PLACE_CUE.search(sentence[max(0, s - 14) : s]) else "name"
        out.append(SpanMatch(s, e, kind))
    return out


def _trim_name(sentence: str, start: int, end: int) -> tuple[int, int]:
    """Drop a leading function word ("The", "In") and a trailing period or possessive."""
    text = sentence[start:end]
    while True:
        head = re.match(r"(\w+)\s+", text)
        if head and fold(head.group(1)) in STOPWORDS:
            start += head.end()
            text = sentence[start:end]
            continue
        break
    if fold(text) in STOPWORDS:
        return start, start
    text = re.sub(r"(?:['’]s|\.)$", "", text)
    return start, start + len(text)


_WANTED = {
    "who": ("name",),
    "when": ("date",),
    "where": ("place", "name"),
    "how_many": ("number",),
    "how_much": ("number",),
    "number": ("number",),
    "which": ("name", "place"),
}


def answer_span(
    question: Question, sentence: str, common: frozenset[str] = frozenset()
) -> SpanMatch | None:
    """The span of the kind the question asks for that says something the question does not:
    of those, the one nearest the question's words in the sentence (a person's name first
    for "who")."""
    return rule_pick(question, sentence, candidate_spans(question, sentence, common))


def rule_pick(question: Question, sentence: str, found: list[SpanMatch]) -> SpanMatch | None:
    """``answer_span``'s choice among ``found``, the candidate spans of ``sentence``."""
    if question.kind == "who":
        found = [s for s in found if s.kind == "person"] or found
    if not found:
        return None
    wanted = _WANTED[question.kind]
    anchors = question_word_starts(question, sentence)

    def rule(s: SpanMatch) -> tuple[int, int, int]:
        return (wanted.index(base_kind(s)), distance(anchors, s), s.start)

    return min(found, key=rule)


def candidate_spans(
    question: Question, sentence: str, common: frozenset[str] = frozenset()
) -> list[SpanMatch]:
    """Every span of ``sentence`` that could answer ``question``: of the asked-for kind, not
    a sentence's capitalised opening word, saying something the question does not, in a
    unit the question counts. For "who", person-like names come as kind ``person``."""
    wanted = _WANTED.get(question.kind)
    if not wanted:
        return []
    named_terms = term_set(" ".join(question.names))
    asked = set(question.terms) | named_terms

    def new(s: SpanMatch) -> bool:
        found = term_set(sentence[s.start : s.end])
        return bool(found) and not found <= asked and not found & named_terms

    found: list[SpanMatch] = []
    for base, piece in _pieces(sentence):
        if question.kind == "who":
            found += [
                SpanMatch(p.start + base, p.end + base, "person")
                for p in person_spans(piece, common)
                if not _IN_PLACE.search(piece[max(0, p.start - 12) : p.start])
            ]
        found += [
            _shifted(s, base) for s in spans(piece)
            if s.kind in wanted and not _common_opener(piece, s, common)
        ]
    out: list[SpanMatch] = []
    seen: set[tuple[int, int]] = set()
    for s in found:
        if (s.start, s.end) in seen or not new(s):
            continue
        if not _unit_fits(question, sentence[s.start : s.end]):
            continue
        seen.add((s.start, s.end))
        out.append(s)
    return out


def wanted_kinds(question: Question) -> tuple[str, ...]:
    """The span kinds that answer ``question``, the likelier first; none if untyped."""
    return _WANTED.get(question.kind, ())


def sentence_of(text: str, s: SpanMatch) -> tuple[int, str]:
    """The sentence of a quote that holds ``s``, with its offset in the quote."""
    for base, piece in _pieces(text):
        if base <= s.start < base + len(piece):
            return base, piece
    return 0, text


def base_kind(s: SpanMatch) -> str:
    """A person is a name."""
    return "name" if s.kind == "person" else s.kind


def question_word_starts(question: Question, sentence: str) -> list[int]:
    """Where the question's words (terms and names, as stems) start in ``sentence``."""
    asked = set(question.terms) | term_set(" ".join(question.names))
    return [at for at, word in word_stems(sentence) if word in asked]


def distance(anchors: list[int], s: SpanMatch) -> int:
    """How far ``s`` starts from the nearest anchor, in characters; 0 when there is none."""
    return min((abs(a - s.start) for a in anchors), default=0)


_MEASURE = re.compile(
    r"(%|percent|per cent|years? old|-year-old|km|miles|kg|pounds|degrees)$", re.IGNORECASE
)
_AGE = ("years old", "year old", "-year-old")


def _unit_fits(question: Question, span: str) -> bool:
    """A count is not a measure: "how many people attended" is not answered by "40 miles"
    unless the question counts miles, and no "how much" or "how many" is an age."""
    if question.kind not in ("how_many", "how_much"):
        return True
    unit = _MEASURE.search(span)
    if unit is None:
        return True
    word = unit.group(1).lower()
    if word in _AGE:
        return False
    return question.kind == "how_much" or bool(term_set(word) & set(question.terms))


@lru_cache(maxsize=32768)
def _pieces(text: str) -> tuple[tuple[int, str], ...]:
    """The sentences of a quote with their offsets (a widened quote holds two or three): no
    span crosses a sentence's end ("the CDC. Officials said…"), and each sentence's first
    word is judged as one."""
    found = sentence_spans(text)
    return tuple((a, text[a:b]) for a, b in found) if len(found) > 1 else ((0, text),)


def _shifted(s: SpanMatch, base: int) -> SpanMatch:
    return s if not base else SpanMatch(s.start + base, s.end + base, s.kind)


def _common_opener(sentence: str, s: SpanMatch, common: frozenset[str]) -> bool:
    """A one-word name opening the sentence that the article also writes in lowercase
    ("Even", "Still", "Officials"): capitalised because it comes first, not a name."""
    if s.kind not in ("name", "place") or not common:
        return False
    text = sentence[s.start : s.end]
    return opens(sentence, s.start) and " " not in text and text.lower() in common


def opens(sentence: str, at: int) -> bool:
    """Whether offset ``at`` starts the sentence: nothing but a dateline, quotes or an
    opening bracket before it."""
    line = DATELINE.match(sentence)
    first = line.end() if line else 0
    return not sentence[first:at].strip(" \"“‘'(")


_DETERMINERS = frozenset("the a an its their his her".split())
_COPULAS = frozenset("is was are were".split())
_CLAUSE_BREAK = re.compile(r"[;:()\[\]—–.!?]|\s-\s")


@lru_cache(maxsize=32768)
def head_spans(sentence: str, head: str) -> tuple[SpanMatch, ...]:
    """The spans of ``sentence`` whose kind the noun ``head`` (a stem) names, by how English
    binds a noun to a name: the noun ends the name ("… Memorial Hospital"), comes right
    after it ("Ohio-based company", "Acme Corp. company"), before it ("the company Acme",
    "the state of Ohio", "the company, Acme") or in an apposition or copula after it
    ("Acme, the e-commerce company", "Acme is a company"). No list of what is a state."""
    tokens = _tokens(sentence)
    if not head or not any(t[3] == head for t in tokens):
        return ()
    return tuple(s for s in spans(sentence) if _binds(sentence, tokens, s, head))


def _binds(
    sentence: str, tokens: tuple[tuple[int, int, str, str], ...], s: SpanMatch, head: str
) -> bool:
    inside = [t for t in tokens if s.start <= t[0] < s.end]
    if len(inside) > 1 and inside[-1][3] == head:
        return True
    before = [t for t in tokens if t[1] <= s.start][-4:]
    after = [t for t in tokens if t[0] >= s.end][:5]
    for i, t in enumerate(before):
        if t[3] == head and not _CLAUSE_BREAK.search(sentence[t[1] : s.start]):
            between = [w for _, _, w, _ in before[i + 1 :]]
            if between in ([], ["of"], ["of", "the"]):
                return True
    for i, t in enumerate(after):
        if t[3] != head or _CLAUSE_BREAK.search(sentence[s.end : t[0]]):
            continue
        between = [w for _, _, w, _ in after[:i]]
        if not between:
            return True
        while between and between[0] in _COPULAS:
            between = between[1:]
        if between and between[0] in _DETERMINERS and len(between) <= 3:
            return True
    return False


@lru_cache(maxsize=32768)
def _tokens(sentence: str) -> tuple[tuple[int, int, str, str], ...]:
    """Each word's offsets, folded form and stem."""
    out = []
    for m in WORD.finditer(sentence):
        word = fold(m.group(0))
        out.append((m.start(), m.end(), word, stem(word)))
    return tuple(out)


def word_stems(sentence: str) -> list[tuple[int, str]]:
    return [(start, word_stem) for start, _, _, word_stem in _tokens(sentence)]


def person_like(name: str) -> bool:
    """Two or three capitalised words with no connector or all-capitals word: how people's
    names look in news prose ("Salim Ramji"), unlike institutions ("Bureau of Statistics")."""
    tokens = name.split()
    return 2 <= len(tokens) <= 3 and all(
        t[:1].isupper() and not (t.isupper() and len(t) > 1) and "." not in t[1:] for t in tokens
    )


def person_spans(sentence: str, common: frozenset[str] = frozenset()) -> list[SpanMatch]:
    """Person-like runs inside the sentence's names. A capitalised word the article also
    writes in lowercase (``common``: "committee", "bureau") is a title, not part of a name, so
    "Central Committee Yang Jiechi" yields "Yang Jiechi"."""
    out: list[SpanMatch] = []
    for m in NAME.finditer(sentence):
        run: list[re.Match[str]] = []
        for t in re.finditer(r"\S+", sentence[m.start() : m.end()]):
            word = t.group(0).rstrip(".,")
            key = fold(word)
            if person_like(word + " X") and key not in common and key not in STOPWORDS:
                run.append(t)
                continue
            out += _person(sentence, m.start(), run)
            run = []
        out += _person(sentence, m.start(), run)
    return out


def _person(sentence: str, base: int, run: list[re.Match[str]]) -> list[SpanMatch]:
    if not 2 <= len(run) <= 3:
        return []
    s, e = _trim_name(sentence, base + run[0].start(), base + run[-1].end())
    return [SpanMatch(s, e, "name")] if person_like(sentence[s:e]) else []


@lru_cache(maxsize=512)
def lowercase_words(text: str) -> frozenset[str]:
    """Words ``text`` writes in lowercase somewhere: common words, not names. Cached: an
    article is read again by every question that retrieves it."""
    return frozenset(_LOWERCASE_WORD.findall(text))


_LOWERCASE_WORD = re.compile(r"\b[a-z][a-z'’-]+\b")


def people(text: str) -> list[str]:
    """The person-like names of ``text``, in order, each once."""
    common = lowercase_words(text)
    found: list[str] = []
    for p in person_spans(text, common):
        name = text[p.start : p.end]
        if name not in found:
            found.append(name)
    return found
