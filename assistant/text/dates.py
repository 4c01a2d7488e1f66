"""Dates, the one copy every layer uses: page dates to ISO, how sure an article's date is,
the dates sentences mention (resolved against the article's date) and the time a question asks
about.

Page dates ("Sep 02, 2021 09:48 PM", "2021-12-01 09:05") keep a time only when the page gives
one (``2021-09-02T21:48``), else the day alone (``2021-09-02``): a date that cannot be read gives
"" rather than a guess.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH = (
    r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_TIME = (
    r"(?:,?\s*(?:at\s+)?(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::\d{2}(?:\.\d+)?)?"
    r"\s*(?P<ampm>[ap]\.?m\.?(?![a-z]))?)?"
)
_PATTERNS = [
    re.compile(
        r"(?P<year>\d{4})[-/.](?P<mon>\d{1,2})[-/.](?P<day>\d{1,2})(?!\d)"
        r"(?:(?:T|\s+)(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::\d{2}(?:\.\d+)?)?"
        r"(?:\s*(?P<ampm>[ap]\.?m\.?(?![a-z])))?)?",
        re.IGNORECASE,
    ),
    re.compile(
        _MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})(?!\d)" + _TIME,
        re.IGNORECASE,
    ),
    re.compile(
        r"(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+(?P<year>\d{4})(?!\d)" + _TIME,
        re.IGNORECASE,
    ),
]
_ZONE = re.compile(r"\s*(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT|[A-Z]{2,4}T)?\s*$")


def parse_date_prefix(text: str) -> tuple[str, int]:
    """The ISO form of the date ``text`` starts with and how many characters it used, or ("", 0)."""
    for pattern in _PATTERNS:
        m = pattern.match(text)
        if m:
            iso = _iso(m)
            if iso:
                return iso, m.end()
    return "", 0


def normalise_date(value: str) -> str:
    """ISO form of a whole date string (an optional time zone is allowed and dropped), else ""."""
    value = value.strip()
    if not value:
        return ""
    iso, used = parse_date_prefix(value)
    if iso and _ZONE.fullmatch(value[used:]):
        return iso
    return ""


def iso_from_object(value: dt.date) -> str:
    """ISO form of a date or datetime (YAML parses unquoted dates into these)."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    return value.isoformat()


def _iso(m: re.Match[str]) -> str:
    groups = m.groupdict()
    month = int(groups["mon"]) if groups.get("mon") else _MONTHS[groups["month"].lower()[:3]]
    try:
        day = dt.date(int(groups["year"]), month, int(groups["day"]))
    except ValueError:
        return ""
    if groups.get("hour") is None:
        return day.isoformat()
    hour, minute = int(groups["hour"]), int(groups["minute"])
    ampm = (groups.get("ampm") or "").replace(".", "").lower()
    if ampm:
        if not 1 <= hour <= 12:
            return ""
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59:
        return ""
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}"


# --- Article dates: what the article states, and what its text suggests ---------------------

PUBLISHED = "published"
UPDATED = "updated"
UPDATED_ONLY = "updated_only"
INFERRED = "inferred"
UNKNOWN = "unknown"
DATE_KINDS = (PUBLISHED, UPDATED, UPDATED_ONLY, INFERRED, UNKNOWN)


@dataclass(frozen=True, slots=True)
class ArticleDate:
    """How sure an article's date is. ``lo``/``hi`` bound the day it can be from ("" = open).

    An inferred date comes from explicit mentions in the text (``quote`` at ``quote_start``
    in the article text, the words themselves in ``words``); it is never shown as stated.
    """

    kind: str
    label: str
    published: str = ""
    updated: str = ""
    lo: str = ""
    hi: str = ""
    quote: str = ""
    quote_start: int = -1
    words: str = ""

    @property
    def stated(self) -> bool:
        return self.kind in (PUBLISHED, UPDATED)

    def overlaps(self, since: str, until: str) -> bool:
        """Could the article be from ``[since, until]``? Unknown dates never can."""
        if self.kind == UNKNOWN:
            return False
        return not (since and self.hi and self.hi < since) and not (
            until and self.lo and self.lo > until
        )

    def to_json(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.__slots__}  # type: ignore[attr-defined]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ArticleDate:
        return cls(**{k: v for k, v in data.items() if k in cls.__slots__})  # type: ignore[attr-defined]


def date_of(article: Any, text: str | None = None) -> ArticleDate:
    """An article's date model: what ingest stored with it, else computed now (catalogs
    written before dates were stored carry none)."""
    if article.date_kind:
        return ArticleDate(
            article.date_kind,
            article.date_label,
            article.published,
            article.updated,
            article.date_lo,
            article.date_hi,
            article.date_quote,
            article.date_quote_start,
        )
    return article_date(article.published, article.updated, text or "")


def dated_fields(date: ArticleDate) -> dict[str, Any]:
    """The ``Article`` fields that carry ``date`` (``dataclasses.replace(article, **…)``)."""
    return {
        "date_kind": date.kind,
        "date_label": date.label,
        "date_lo": date.lo,
        "date_hi": date.hi,
        "date_quote": date.quote,
        "date_quote_start": date.quote_start,
    }


def article_date(published: str, updated: str, text: str = "") -> ArticleDate:
    """The date model of one article: stated dates first, else what its text suggests."""
    p, u = published[:10], updated[:10]
    if p and u and u != p:
        return ArticleDate(UPDATED, f"{p} (updated {u})", published, updated, p, p)
    if p:
        return ArticleDate(PUBLISHED, p, published, updated, p, p)
    if u:
        label = f"updated {u}; first publication date unknown"
        return ArticleDate(UPDATED_ONLY, label, "", updated, "", u)
    return infer_date(text)


def infer_date(text: str) -> ArticleDate:
    """For an undated text: the latest full date it mentions, else the latest month, else the
    span of the years it mentions — with the sentence it came from."""
    mentions = [m for m in find_dates(text, "") if not m.relative]
    for precision in ("day", "month", "year"):
        found = [m for m in mentions if m.precision == precision]
        if not found:
            continue
        latest = max(found, key=lambda m: (m.hi, -m.start))
        lo = min(m.lo for m in found) if precision == "year" else latest.lo
        shown = _span_label(lo, latest.hi, precision)
        q_start, q_end = sentence_around(text, latest.start, latest.end)
        return ArticleDate(
            INFERRED,
            f"undated (text suggests {shown})",
            lo=lo,
            hi=latest.hi,
            quote=text[q_start:q_end],
            quote_start=q_start,
            words=latest.words,
        )
    return ArticleDate(UNKNOWN, "undated")


def event_anchor(date: ArticleDate) -> str:
    """The day relative words in the article count from: a stated publication day, or a day
    its text suggests; never an update date (a repost's "last week" is not the update's)."""
    if date.kind in (PUBLISHED, UPDATED):
        return date.published[:10]
    if date.kind == INFERRED and date.lo and date.lo == date.hi:
        return date.lo
    return ""


def _span_label(lo: str, hi: str, precision: str) -> str:
    if precision == "day":
        return hi
    if precision == "month":
        return hi[:7]
    return lo[:4] if lo[:4] == hi[:4] else f"{lo[:4]}–{hi[:4]}"


_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])|\n")


def sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The offsets of the sentence holding ``text[start:end]``, surrounding blanks trimmed.

    A light rule (a line break or end mark before a capital) that needs no abbreviation lists:
    dates only need the words near a mention, not perfect sentences.
    """
    left = 0
    for m in _SENTENCE_END.finditer(text, max(0, start - 600), min(len(text), start + 2)):
        if m.end() <= start and not _after_initial(text, m.start()):
            left = m.end()
    right = len(text)
    for m in _SENTENCE_END.finditer(text, max(start, end - 1)):
        if not _after_initial(text, m.start()):
            right = m.start() + len(m.group().rstrip())
            break
    while left < start and text[left].isspace():
        left += 1
    while right > end and text[right - 1].isspace():
        right -= 1
    return left, right


def _after_initial(text: str, dot: int) -> bool:
    """A period closing an initial or an acronym ("U.S.", "J.") does not end the sentence."""
    return (
        text[dot] == "."
        and dot >= 1
        and text[dot - 1].isupper()
        and (dot == 1 or not text[dot - 2].isalpha())
    )


# --- Dates in sentences: explicit, and relative to the article's date -----------------------

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH_NAMES = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan\.|Feb\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)"
)
_WEEKDAY_NAMES = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_YEAR = r"(?:19[5-9]\d|20\d\d)"
_FUTURE = re.compile(
    r"\b(?:will|shall|is\s+(?:set|due|scheduled|expected)\s+to|are\s+(?:set|due|scheduled|"
    r"expected)\s+to|plans?\s+to|to\s+be\s+held|upcoming)\b",
    re.IGNORECASE,
)
_SENTENCE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"(?<![\d/])(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?![\d])")),
    (
        "mdy",
        re.compile(
            rf"\b(?P<mn>{_MONTH_NAMES})\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>{_YEAR})\b"
        ),
    ),
    (
        "dmy",
        re.compile(
            rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<mn>{_MONTH_NAMES}),?\s+(?P<y>{_YEAR})\b"
        ),
    ),
    ("my", re.compile(rf"\b(?P<mn>{_MONTH_NAMES})\s+(?:of\s+)?(?P<y>{_YEAR})\b")),
    (
        "md",
        re.compile(rf"\b(?P<mn>{_MONTH_NAMES})\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?![\d:,.]\d)"),
    ),
    ("dm", re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<mn>{_MONTH_NAMES})\b")),
    (
        "weekday",
        re.compile(
            rf"\b(?:(?P<mod>(?i:last|next|this|on|early|late))\s+)?(?P<wd>{_WEEKDAY_NAMES})\b"
        ),
    ),
    (
        "relunit",
        re.compile(
            r"\b(?P<mod>last|this|next|previous|earlier\s+this|later\s+this)\s+"
            r"(?P<unit>week|month|year)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "ago",
        re.compile(r"\b(?P<n>\d{1,2}|an?|one|two|three)\s+(?P<unit>day|week|month|year)s?\s+ago\b"),
    ),
    ("word", re.compile(r"\b(?P<w>today|yesterday|tomorrow|tonight|Today|Yesterday|Tomorrow)\b")),
    (
        "month",
        re.compile(
            rf"\b(?:(?:in|since|by|until|till|of|during|early|late|last|this|next|from|through)\s+"
            rf"|mid-)(?P<mn>{_MONTH_NAMES})\b(?!\s+\d)"
        ),
    ),
    (
        "year",
        re.compile(
            rf"\b(?:in|since|by|until|till|during|of|from|through|early|late|mid-?|the|for|before"
            rf"|after|around)\s+(?P<y>{_YEAR})\b(?![-/]\d)"
        ),
    ),
]
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3}


@dataclass(frozen=True, slots=True)
class EventDate:
    """A date a sentence mentions: the words at ``[start, end)`` and the days they can mean.

    ``value`` is ``YYYY-MM-DD`` (day, and the Monday of a week), ``YYYY-MM`` or ``YYYY``;
    ``relative`` says it was resolved against the article's date ("on Thursday", "in April").
    """

    start: int
    end: int
    words: str
    value: str
    precision: str
    lo: str
    hi: str
    relative: bool

    def to_json(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.__slots__}  # type: ignore[attr-defined]


def find_dates(text: str, anchor: str) -> list[EventDate]:
    """Every date ``text`` mentions, in order; relative ones only when ``anchor`` (the
    article's ISO date) is given. Overlapping matches keep the most precise, earliest one."""
    base = _day(anchor)
    found: list[EventDate] = []
    taken: list[tuple[int, int]] = []
    for name, pattern in _SENTENCE_PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            event = _resolve(name, m, base, text)
            if event is not None:
                found.append(event)
                taken.append((m.start(), m.end()))
    return sorted(found, key=lambda e: e.start)


def _resolve(name: str, m: re.Match[str], base: dt.date | None, text: str) -> EventDate | None:
    g = m.groupdict()
    month = _MONTHS[g["mn"].lower()[:3]] if g.get("mn") else int(g["m"]) if g.get("m") else 0
    try:
        if name in ("iso", "mdy", "dmy"):
            return _event(m, dt.date(int(g["y"]), month, int(g["d"])), "day", False)
        if name == "my":
            return _event(m, dt.date(int(g["y"]), month, 1), "month", False)
        if name == "year":
            return _event(m, dt.date(int(g["y"]), 1, 1), "year", False)
        if base is None:
            return None
        if name in ("md", "dm"):
            days = [dt.date(base.year + d, month, int(g["d"])) for d in (-1, 0, 1)]
            return _event(m, _likeliest([(d, d) for d in days], base, text, m), "day", True)
        if name == "month":
            firsts = [dt.date(base.year + d, month, 1) for d in (-1, 0, 1)]
            spans = [(f, _add_months(f, 1) - dt.timedelta(days=1)) for f in firsts]
            return _event(m, _likeliest(spans, base, text, m), "month", True)
    except ValueError:
        return None
    if name == "word" and g["w"][0].isupper() and not _opens_sentence(text, m.start()):
        return None  # "USA Today", "Entertainment Tonight": a name, not a day
    if name == "weekday":
        if _named_day(text, m) or base is None:
            return None
        return _event(
            m, _weekday(g["wd"], (g.get("mod") or "").lower(), base, text, m), "day", True
        )
    if name == "relunit":
        return _relative_unit(m, g["mod"].lower().split()[-1], g["unit"].lower(), base)
    if name == "ago":
        n = _NUMBER_WORDS.get(g["n"].lower()) or int(g["n"])
        unit = g["unit"].lower()
        if unit == "day":
            return _event(m, base - dt.timedelta(days=n), "day", True)
        if unit == "week":
            return _event(m, _monday(base) - dt.timedelta(weeks=n), "week", True)
        if unit == "month":
            return _event(m, _add_months(base, -n), "month", True)
        return _event(m, dt.date(base.year - n, 1, 1), "year", True)
    shift = {"today": 0, "tonight": 0, "yesterday": -1, "tomorrow": 1}[g["w"].lower()]
    return _event(m, base + dt.timedelta(days=shift), "day", True)


def _likeliest(
    spans: list[tuple[dt.date, dt.date]], base: dt.date, text: str, m: re.Match[str]
) -> dt.date:
    """Which year a month (or month and day) without one means: the next one after the article's
    date when future wording comes before it, else the nearest, a past one counting as nearer
    (news reports what happened: a day ahead counts four days behind)."""
    if _FUTURE.search(text[max(0, m.start() - 80) : m.start()]):
        ahead = [(lo, hi) for lo, hi in spans if hi >= base]
        return min(ahead)[0]

    def distance(span: tuple[dt.date, dt.date]) -> int:
        lo, hi = span
        if lo <= base <= hi:
            return 0
        return (base - hi).days if hi < base else 4 * (lo - base).days

    return min(spans, key=distance)[0]


def _opens_sentence(text: str, pos: int) -> bool:
    before = text[:pos].rstrip(" \t\"'“‘(")
    return not before or before[-1] in ".!?\n:"


def _named_day(text: str, m: re.Match[str]) -> bool:
    """ "Easter Sunday", "Super Tuesday", "every Friday": no one date."""
    if m.group("mod"):
        return False
    before = text[max(0, m.start() - 20) : m.start()].split()
    if not before:
        return False
    word = before[-1].strip("\"'“‘(")
    if word.casefold() in ("every", "each", "on", "of"):
        return word.casefold() in ("every", "each")
    return word[:1].isupper() and not _opens_sentence(text, m.start() - len(before[-1]) - 1)


def _weekday(name: str, mod: str, base: dt.date, text: str, m: re.Match[str]) -> dt.date:
    """Past by default (news reports what happened): the latest such day on or before the
    article's date; "next", or future wording before it ("will", "is set to"), look ahead."""
    target = _WEEKDAYS.index(name.lower())
    back = (base.weekday() - target) % 7
    ahead = (target - base.weekday()) % 7
    if mod == "next":
        return base + dt.timedelta(days=ahead or 7)
    if mod == "last":
        return base - dt.timedelta(days=back or 7)
    if mod == "this":
        return _monday(base) + dt.timedelta(days=target)
    clause = text[max(0, m.start() - 80) : m.start()]
    if _FUTURE.search(clause):
        return base + dt.timedelta(days=ahead)
    return base - dt.timedelta(days=back)


def _relative_unit(m: re.Match[str], mod: str, unit: str, base: dt.date) -> EventDate:
    step = {"last": -1, "previous": -1, "this": 0, "next": 1}[mod]
    if unit == "week":
        return _event(m, _monday(base) + dt.timedelta(weeks=step), "week", True)
    if unit == "month":
        return _event(m, _add_months(base, step), "month", True)
    return _event(m, dt.date(base.year + step, 1, 1), "year", True)


def _event(m: re.Match[str], day: dt.date, precision: str, relative: bool) -> EventDate:
    lo, hi = _bounds(day, precision)
    value = {"day": lo, "week": lo, "month": lo[:7], "year": lo[:4]}[precision]
    return EventDate(m.start(), m.end(), m.group(), value, precision, lo, hi, relative)


def _bounds(day: dt.date, precision: str) -> tuple[str, str]:
    if precision == "day":
        return day.isoformat(), day.isoformat()
    if precision == "week":
        start = _monday(day)
        return start.isoformat(), (start + dt.timedelta(days=6)).isoformat()
    if precision == "month":
        start = day.replace(day=1)
        return start.isoformat(), (_add_months(start, 1) - dt.timedelta(days=1)).isoformat()
    return f"{day.year}-01-01", f"{day.year}-12-31"


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _day(iso: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(iso[:10]) if iso else None
    except ValueError:
        return None


# --- The time a question asks about ----------------------------------------------------------

_LATEST = re.compile(
    r"\b(?:latest|most\s+recent(?:ly)?|recent(?:ly)?|newest|lately|last\s+time|so\s+far|"
    r"currently|current|now)\b",
    re.IGNORECASE,
)
_EARLIEST = re.compile(r"\b(?:earliest|first\s+time|originally|initially)\b", re.IGNORECASE)
_RELATIVE_TO = re.compile(
    r"\b(?P<rel>before|after|prior\s+to|since|following)\s+(?P<event>[^?.,;]{3,80})",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class TimeHint:
    """The time a question asks about. ``kind``: "" (none), "range" (``since``..``until``,
    inclusive ISO days, either may be open), "latest", "earliest", or "before"/"after" an
    ``event`` whose date is not known yet (the caller may look it up)."""

    kind: str = ""
    since: str = ""
    until: str = ""
    words: str = ""
    event: str = ""

    def __bool__(self) -> bool:
        return bool(self.kind)


_PRESENT = re.compile(r"\b(?:week|month|year|today|yesterday|tomorrow|tonight|ago)\b", re.I)


def question_time(question: str, as_of: str = "") -> TimeHint:
    """What time ``question`` asks about: explicit dates and years, "latest"/"earliest" words,
    "before/after <event>"; "this week", "last month", "today" only from ``as_of`` (ISO day).

    Weekdays and months without a year are not read: in a question they nearly always quote
    the article's own frame ("what did he say on Thursday"), not the reader's calendar.
    """
    rel = _RELATIVE_TO.search(question)
    found = [d for d in find_dates(question, as_of) if not d.relative or _PRESENT.search(d.words)]
    if rel:
        inside = [d for d in found if d.end > rel.start("event")]
        word = rel.group("rel").casefold().split()[0]
        before = word in ("before", "prior")
        if inside:
            day = _day(inside[0].lo if before else inside[0].hi)
            assert day is not None
            shifted = (day + dt.timedelta(days=-1 if before else 1)).isoformat()
            return TimeHint(
                "range", "" if before else shifted, shifted if before else "", rel.group()
            )
        return TimeHint("before" if before else "after", words=rel.group(), event=rel["event"])
    return _dated_hint(question, found)


def with_event_day(hint: TimeHint, day: str) -> TimeHint:
    """A "before"/"after" hint made a range once the event's day (ISO) is known."""
    parsed = _day(day)
    if hint.kind not in ("before", "after") or parsed is None:
        return hint
    if hint.kind == "before":
        return TimeHint(
            "range", until=(parsed - dt.timedelta(days=1)).isoformat(), words=hint.words
        )
    return TimeHint("range", since=(parsed + dt.timedelta(days=1)).isoformat(), words=hint.words)


def _dated_hint(question: str, found: list[EventDate]) -> TimeHint:
    if found:
        return TimeHint(
            "range",
            min(d.lo for d in found),
            max(d.hi for d in found),
            " … ".join(d.words for d in found),
        )
    m = _LATEST.search(question)
    if m:
        return TimeHint("latest", words=m.group())
    m = _EARLIEST.search(question)
    if m:
        return TimeHint("earliest", words=m.group())
    return TimeHint()
