"""What a question asks for, read without a model: its kind of answer, its names and numbers,
its content terms, and whether it is about the present ("this week", "latest").

Questions arrive as people type or paste them: quiz lead-ins ("X happened this week. Which
team …?"), a note ending in "Question: …", emoji or words in another script. The part that
asks is the last sentence with a question mark (or the text after a "Question:" label); the
whole text still counts for retrieval.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.text.tokens import IRREGULAR, STOPWORDS, WORD, fold, stem, terms, words

# Words that only say what kind of answer is wanted; articles rarely contain them by it.
_TYPE_NOUNS = frozenset(
    """name person people one year date day month time place city country state town
    number amount kind type way thing""".split()
)
_TYPE_TERMS = frozenset(stem(w) for w in _TYPE_NOUNS)  # as terms() gives them: city → citi
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
MONTH_WORDS = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
DAY_WORDS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
_PRESENT = re.compile(
    r"\b(?:this (?:week|month|year|season|weekend)|last week|recent(?:ly)?|latest|newest|"
    r"now|currently|today|new|so far|upcoming|next)\b",
    re.IGNORECASE,
)
_LABEL = re.compile(r"(?:^|\n|\s)(?:question|q)\s*[:：]\s*(.+)$", re.IGNORECASE | re.DOTALL)
_NUMBER = re.compile(r"(?<![\w.-])\d+(?:[.,]\d+)*(?![\w-])")
_NAME_TOKEN = r"[A-Z][\w'’-]*(?:\.(?=\w)[\w'’-]*)*"
_JOINER = r"(?:of|de|la|the|and|for|van|von|al|bin)"
_CAPITAL_RUN = re.compile(rf"(?<![\w'’]){_NAME_TOKEN}(?: (?:{_JOINER} )?{_NAME_TOKEN})*")


@dataclass
class Question:
    text: str  # the part that asks
    full: str  # everything typed, for retrieval
    kind: str  # identity who when where how_many how_much number which what why how yesno other
    terms: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)
    present: bool = False  # asks about "this week", "the latest", "now"
    head: str = ""  # stem of the noun after "which"/"what": "state" in "which key state"
    # names that are one capitalised word opening a sentence ("Newly released figures…"):
    # a name, or a word capitalised for coming first; the articles decide (scorer.ground)
    openers: list[str] = field(default_factory=list)

    @property
    def typed(self) -> bool:
        """Whether the answer is a short span: a name, date, number or place."""
        return self.kind in {"who", "when", "where", "how_many", "how_much", "number", "which"}


def asking_part(text: str) -> str:
    """The sentence that asks: after a "Question:" label, else the last one with a "?"."""
    label = _LABEL.search(text)
    if label:
        text = label.group(1)
    text = text.strip()
    pieces = re.split(r"(?<=[.!?])\s+(?=[A-Z\"'“])", text)
    asking = [p for p in pieces if "?" in p]
    return (asking[-1] if asking else pieces[-1] if pieces else text).strip()


def kind_of(text: str) -> str:
    t = fold(text).strip()
    if _IDENTITY.match(text.strip()):
        return "identity"  # "Who is Tim Cook?": a description answers it, not a name
    checks = (
        (r"^how many\b|\bhow many\b", "how_many"),
        (r"^how much\b|\bhow much\b", "how_much"),
        (r"\bhow (?:old|long|far|tall|big|large|high|deep)\b", "number"),
        (r"\b(?:what|which) (?:year|date|day|month|time)\b|^when\b|\bwhen (?:did|was|is|will)\b",
         "when"),
        (r"^who\b|\bwho (?:is|was|were|are|will|has|had|did)\b|\bwhose\b|\bwhom\b", "who"),
        (r"^where\b|\bwhere (?:is|was|did|will|are|were)\b|\b(?:what|which) "
         r"(?:city|country|state|town|place|venue|island|region|county|nation)\b", "where"),
        (r"\bwhich\b|\bwhat (?:\w+ )?(?:team|company|brand|name|player|film|movie|show|book|"
         r"song|party|agency|group|organization|organisation|app|network|airline|school|"
         r"university|band|album|person|animal|species|language|sport)\b", "which"),
        (r"^why\b|\bwhy\b", "why"),
        (r"^how\b", "how"),
        (r"^what\b|\bwhat\b", "what"),
        (r"^(?:is|are|was|were|did|does|do|has|have|will|can|could|should)\b", "yesno"),
    )
    for pattern, kind in checks:
        if re.search(pattern, t):
            return kind
    return "other"


_HEAD_START = re.compile(r"\b(?:which|what)\s+", re.IGNORECASE)
_HEAD_SKIP = re.compile(
    r"(?:(?:kind|type|sort|part|one|ones)\s+of\s+|of\s+(?:the\s+)?(?:following\s+|these\s+)?)",
    re.IGNORECASE,
)
_HEAD_WORDS = 5
# Irregular forms, mostly past tenses ("took", "won"): after a noun they start the verb.
_PAST = frozenset(form for form in IRREGULAR if not form.endswith("s"))


def head_noun(text: str) -> str:
    """The stemmed noun a "which"/"what" question names as its answer's kind: the last word
    of the words that follow it, before a function word, punctuation, a possessive's noun or
    a past-tense verb or adverb ("which island nation plunged" → nation, "what type of
    renewable energy" → energy). A lowercase word wins over a capitalised modifier ("Which
    Ivy League university" → university)."""
    start = _HEAD_START.search(text)
    if start is None:
        return ""
    rest = text[start.end() :]
    skip = _HEAD_SKIP.match(rest)
    if skip:
        rest = rest[skip.end() :]
    run: list[str] = []
    at = 0
    for m in WORD.finditer(rest):
        word, key = m.group(0), fold(m.group(0))
        if (rest[at : m.start()].strip() and run) or key in STOPWORDS or len(run) >= _HEAD_WORDS:
            break
        if run and (key.endswith(("ed", "ly")) or key in _PAST):
            break  # "which show received …", "which actor won …", "which chain recently"
        run.append(word)
        at = m.end()
        if key.endswith("'s"):
            break  # "which country's lawmakers": the answer is the country
    run = [w for w in run if not w.isdigit()]
    lower = [w for w in run if w[:1].islower()]
    head = (lower or run)[-1:]
    return stem(fold(head[0])) if head else ""


def names_in(text: str) -> list[str]:
    """Capitalised phrases that are not merely the first word of a sentence or a function
    word: "Johnny Manziel", "Heisman Trophy", "United Kingdom"."""
    return [phrase for phrase, _ in _name_runs(text)]


def openers_in(text: str) -> list[str]:
    """The names of ``text`` that are one word, capitalised only at its first letter, opening
    a sentence: "Newly", "Despite", "Tesla" (not "NASA" or "iPhone")."""
    return [p for p, first in _name_runs(text) if first and " " not in p and p[1:].islower()]


def _name_runs(text: str) -> list[tuple[str, bool]]:
    """Each name once, with whether it is a single word opening a sentence."""
    found: dict[str, bool] = {}
    for m in _CAPITAL_RUN.finditer(text):
        phrase = m.group(0).strip(" .’'")
        tokens = phrase.split()
        while tokens and fold(tokens[0]) in STOPWORDS | _QUESTION_WORDS:
            tokens.pop(0)
        if not tokens:
            continue
        first_word = m.start() == 0 or text[: m.start()].rstrip().endswith((".", "?", "!", ":"))
        if len(tokens) == 1 and first_word and fold(tokens[0]) in _COMMON_OPENERS:
            continue
        phrase = re.sub(r"['’]s$", "", " ".join(tokens))
        if fold(phrase) in MONTH_WORDS | DAY_WORDS:
            continue
        opener = first_word and len(tokens) == 1 and len(m.group(0).split()) == 1
        found[phrase] = found.get(phrase, True) and opener
    return list(found.items())


_IDENTITY = re.compile(
    r"^(?:[Ww]ho|[Ww]hat)\s+(?:is|was|are|were)\s+(?:the\s+)?(?:[A-Z][\w'’.-]*\s*){1,4}\??$"
)
_QUESTION_WORDS = frozenset("who whom whose what when where which why how".split())
_COMMON_OPENERS = frozenset("name list tell give according in on at after before".split())


def analyse(question: str) -> Question:
    core, _, context = question.partition(" (context: ")
    label = _LABEL.search(core)
    if label:
        core = label.group(1).strip()
    asking = asking_part(core)
    kind = kind_of(asking)
    body_terms = [t for t in terms(f"{core} {context}") if t not in _TYPE_TERMS]
    return Question(
        text=asking,
        full=question,
        kind=kind,
        terms=list(dict.fromkeys(body_terms)),
        names=names_in(core),
        openers=openers_in(core),
        numbers=list(dict.fromkeys(_NUMBER.findall(core))),
        present=_PRESENT.search(core) is not None,
        head=head_noun(asking),
    )


def word_set(text: str) -> set[str]:
    return set(words(text))


def question_phrase(question: Question) -> str:
    """The question as a reader typed it, for refusal reasons (never a rewrite's context)."""
    text = " ".join(question.text.split())
    return text if text.endswith("?") else text.rstrip(".") + "?"
