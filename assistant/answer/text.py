"""Word-level text analysis shared by the extractive answerer and the rewriter: terms,
names, numbers, and the aliases under which the same country or capital appears."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because
    been before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers herself him himself his how i
    if in into is it its itself just me more most my no nor not now of off on once only or
    other our ours out over own same she should so some such than that the their theirs them
    then there these they this those through to too under until up very was we were what
    when where which while who whom why will with would you your yours according article
    articles say said says tell told describe mention mentioned report reported reports news
    piece ever really per via one two whose regarding toward towards did""".split()
)
QUESTION_WORDS = frozenset(["who", "whom", "whose", "what", "when", "where", "which", "why", "how"])
# Words that name the kind of answer wanted; articles rarely contain them next to it.
ANSWER_TYPE_WORDS = frozenset(
    """position role title job organization organisation institution day days date year place
    country city name kind type way number amount issue issues topic topics characterize
    characterized characterise characterised describe described call called editorial piece
    story readout outlet newspaper mention mentions mentioned""".split()
)
MONTHS = frozenset(
    """january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec""".split()
)
WEEKDAYS = frozenset(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])

# Surface forms that name the same actor; matched as whole terms after lowercasing.
ALIASES: dict[str, frozenset[str]] = {
    "us": frozenset({"us", "u.s", "u.s.", "united states", "america", "american", "washington"}),
    "china": frozenset({"china", "chinese", "beijing", "prc"}),
    "russia": frozenset({"russia", "russian", "moscow", "kremlin"}),
}

_WORD = re.compile(r"[^\W_]+(?:[’'.\-][^\W_]+)*")
_TOKEN = re.compile(r"(?:[A-Z]\.){2,}|[^\W_]+(?:[’'\-][^\W_]+)*\.?")
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)*(?:st|nd|rd|th)?\b")


def normalize(text: str) -> str:
    return text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')


IRREGULAR = {
    "met": "meet",
    "said": "say",
    "says": "say",
    "told": "tell",
    "held": "hold",
    "made": "make",
    "took": "take",
    "gave": "give",
    "went": "go",
    "saw": "see",
    "led": "lead",
    "won": "win",
    "wrote": "write",
    "spoke": "speak",
    "sent": "send",
    "brought": "bring",
    "thought": "think",
    "began": "begin",
    "spoken": "speak",
    "talk": "speak",
    "talked": "speak",
    "talks": "speak",
    "phone": "speak",
    "conversation": "speak",
    "became": "become",
    "paid": "pay",
    "sought": "seek",
    "left": "leave",
}
SPEECH_VERBS = frozenset(
    """say tell state note add stress urge warn call criticize criticise claim describe ask
    respond reply answer announce argue insist mention express remark comment suggest
    explain emphasize emphasise propose pledge vow""".split()
)
_SPEECH = (
    r"(?:said|says|say|told|tells|noted|notes|added|adds|stressed|urged|warned|called|"
    r"criticized|criticised|claimed|described|asked|responded|replied|announced|argued|"
    r"insisted|mentioned|expressed|remarked|commented|suggested|explained|emphasized|"
    r"proposed|pledged|vowed|according to|speaking|saying|calling|noting|adding|"
    r"stressing|urging|warning|criticizing|mentioning|hopes?|hoped|wants?|wanted|believes?|"
    r"believed|opined|elaborated|reiterated|pointed out|agreed|welcomed|expects?|"
    r"demanded|requested|accused)"
)
SPEECH_CUES = re.compile(rf"\b{_SPEECH}\b", re.IGNORECASE)


def speaks(text: str, speaker: str, before: str = "") -> bool:
    """Whether ``speaker`` is the one speaking in ``text``: named right before or after a
    speech verb ("Kerry said", "said Wang", "Yang Jiechi hopes"), or a pronoun speaks
    ("…, he added.") and ``before`` — the preceding sentence — names the speaker."""
    for key in name_keys(speaker):
        name = re.escape(key)
        near = (
            rf"\b{name}\b[\w\s,.'’()-]{{0,80}}?\b{_SPEECH}\b"
            rf"|\b{_SPEECH}\s+(?:[\w.'’-]+\s+){{0,3}}{name}\b"
        )
        for m in re.finditer(near, text, re.IGNORECASE):
            start = m.start() + m.group(0).lower().find(key)
            if text[start].isupper():
                return True
    pronoun = re.search(rf"\b(?:he|she|they)\s+(?:also\s+)?{_SPEECH}\b", text, re.IGNORECASE)
    return pronoun is not None and mentions(before, speaker)


def stem(word: str) -> str:
    """A light suffix stripper: enough to match cooperate/cooperation, visits/visit."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if w in IRREGULAR:
        return IRREGULAR[w]
    for suffix, keep in (
        ("ational", 5),
        ("ship", 4),
        ("ation", 4),
        ("ities", 4),
        ("ness", 4),
        ("ment", 4),
        ("ing", 4),
        ("ies", 3),
        ("ied", 3),
        ("ed", 4),
        ("es", 4),
        ("ly", 4),
        ("or", 5),
        ("s", 3),
    ):
        if w.endswith(suffix) and len(w) - len(suffix) >= keep:
            w = w[: -len(suffix)]
            break
    if len(w) > 5 and w.endswith("e"):
        w = w[:-1]
    if len(w) > 6 and w.endswith("at"):  # cooperat(e) ~ cooper(ation)
        w = w[:-2]
    return w


def words(text: str) -> list[str]:
    """Words, and for a hyphenated compound ("five-point") its parts as well."""
    out: list[str] = []
    for m in _WORD.finditer(text):
        word = m.group(0)
        out.append(word)
        if "-" in word:
            out.extend(part for part in word.split("-") if part)
    return out


def term_set(text: str) -> set[str]:
    """Stemmed content terms of ``text`` plus alias keys for the actors it names."""
    lowered = normalize(text).lower()
    found = {stem(w) for w in words(lowered) if w not in STOPWORDS and not _is_alias(w)}
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
    speaker: str = ""  # the name in "what did X say/tell…", whose words are asked for


def question_kind(text: str) -> str:
    lowered = text.lower().strip()
    for kind in ("how many", "how much", "how long", "how"):
        if lowered.startswith(kind):
            return kind.replace(" ", "_")
    first = lowered.split(" ", 1)[0] if lowered else ""
    return first if first in QUESTION_WORDS else "other"


def names(text: str) -> list[str]:
    """Proper-name phrases in ``text`` (runs of capitalised words separated by single spaces),
    without question words, months and weekdays, or names that are only country aliases."""
    found: list[str] = []
    run: list[str] = []
    last_end = -2
    for m in _TOKEN.finditer(text):
        token = m.group(0)
        bare = token.rstrip(".") if not re.fullmatch(r"(?:[A-Z]\.)+", token) else token
        capital = bare[:1].isupper() and not _is_function_word(bare)
        adjacent = text[last_end : m.start()] == " "
        if capital and (adjacent or not run):
            run.append(bare)
        else:
            _flush(run, found)
            run = [bare] if capital else []
        last_end = m.end()
        if token.endswith(".") and bare == token.rstrip("."):
            _flush(run, found)
            run = []
    _flush(run, found)
    return found


_OUTLET_WORDS = frozenset(
    """times daily news post journal herald tribune agency press telegraph guardian gazette
    xinhua reuters afp cnn bbc tass""".split()
)


def is_outlet_name(phrase: str) -> bool:
    """ "Global Times", "China Daily": who publishes, not what the article is about."""
    return phrase.split()[-1].lower().strip(".") in _OUTLET_WORDS


def _flush(run: list[str], found: list[str]) -> None:
    if run and is_outlet_name(" ".join(run)):
        return
    tokens = list(run)
    while tokens and (
        tokens[0].lower() in STOPWORDS | QUESTION_WORDS
        or (_is_alias(tokens[0]) and len(tokens) > 1)
    ):
        tokens.pop(0)
    if not tokens or all(_is_alias(t) for t in tokens):
        return
    phrase = re.sub(r"['’]s$", "", " ".join(tokens))
    if phrase not in found:
        found.append(phrase)


def _is_function_word(token: str) -> bool:
    lowered = token.lower()
    return (
        lowered in MONTHS
        or lowered in WEEKDAYS
        or (lowered in STOPWORDS and token not in {"US", "U.S."})
    )


def _is_alias(token: str) -> bool:
    """Country names and their compounds ("China-US", "China's") are everywhere: not names."""
    lowered = token.lower().replace("’", "'").removesuffix("'s")
    parts = [p.rstrip(".") for p in re.split(r"-(?=[a-z])", lowered)]
    return all(any(p in forms or p + "." in forms for forms in ALIASES.values()) for p in parts)


CONTEXT_MARK = " (context: "
_ATTRIBUTION = re.compile(
    r",?\s*(?:according to|as reported by|in the view of|says?|reported by)\s+(?:the\s+)?"
    r"((?:[A-Z][\w’'.-]*\s*){1,4})(?=[?.!,]|$)"
)


def core_question(question: str) -> str:
    """The question without carried-over context (see rewrite.py)."""
    return question.split(CONTEXT_MARK, 1)[0]


def strip_attribution(question: str, outlets: set[str]) -> str:
    """Drop "according to the Global Times" and the like: an outlet is who speaks, not what
    the answer is about, and its name is article metadata rather than article text."""

    def cut(match: re.Match[str]) -> str:
        said_by = match.group(1).strip().lower()
        known = {o.lower() for o in outlets}
        if said_by in known or said_by.endswith(("times", "daily", "news", "post", "journal")):
            return ""
        return match.group(0)

    out = _ATTRIBUTION.sub(cut, question)
    out = re.sub(
        r"(?:\bthe\s+)?\b(?:[A-Z][\w’'.-]*\s+){0,3}(?:"
        + "|".join(w.capitalize() for w in _OUTLET_WORDS)
        + r")\b(?:['’]s)?",
        "",
        out,
    )
    for outlet in outlets:
        out = re.sub(rf"(?:\bthe\s+)?\b{re.escape(outlet)}(?:['’]s)?\b", "", out)
    return " ".join(out.split())


def analyse(question: str, outlets: set[str] | None = None) -> Query:
    text = normalize(strip_attribution(core_question(question), outlets or set()))
    body = text.split(" ", 1)[1] if " " in text else ""
    name_list = names(body)
    numbers = [n.lower() for n in _NUMBER.findall(text)]
    skip = STOPWORDS | QUESTION_WORDS | ANSWER_TYPE_WORDS
    terms = [stem(w) for w in words(text.lower()) if w not in skip]
    speaker = ""
    said = re.search(
        r"\b(?:did|does|do|has|have|had|will|would)\s+(.{2,60}?)\s+(?:say|tell|ask|urge|warn|"
        r"describe|call|criticize|claim|stress|note|add|mention|propose|reply|respond)\b",
        text,
    )
    if said:
        speaker = next((n for n in name_list if n in said.group(1)), "")
    return Query(
        speaker=speaker,
        text=text,
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


def mentions(text: str, name: str, article: str | None = None) -> bool:
    """Whether normalised ``text`` names ``name`` by any of its keys, capitalised as a name
    is ("Price" the spokesman, not "the heaviest price"). Given the whole ``article``, a bare
    surname counts only where the article names that person in full: "Wang" is Wang Yi in an
    article about Wang Yi, not Wang Qishan."""
    keys = name_keys(name)
    if article is not None and len(keys) == 3:
        full, given, _surname = keys
        if not (_has_key(article, full) or _has_key(article, given)):
            keys = [full, given]
    return any(_has_key(text, key) for key in keys)


def _has_key(text: str, key: str) -> bool:
    lowered = text.lower()
    for m in re.finditer(rf"(?<![a-z0-9]){re.escape(key)}(?![a-z0-9])", lowered):
        if text[m.start()].isupper() or text[m.start()].isdigit():
            return True
    return False


_INSTITUTION_WORDS = frozenset(
    """member political bureau central committee commission office department ministry party
    council state secretary minister president presidential vice premier envoy special
    director spokesman spokesperson ambassador foreign affairs general university academy
    institute center centre house administration government communist people's republic
    national chairman chair senior deputy leader prime agency military force forces""".split()
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
        candidate = " ".join(tokens).replace("’", "'").removesuffix("'s")
        if any(candidate.lower() in forms for forms in ALIASES.values()):
            continue
        if candidate not in out:
            out.append(candidate)
    return out
