"""Normalise the dates news pages print ("Sep 02, 2021 09:48 PM", "2021-12-01 09:05") to ISO 8601.

A time is kept only when the page gives one (``2021-09-02T21:48``), else the day alone
(``2021-09-02``): a date that cannot be read gives "" rather than a guess.
"""

from __future__ import annotations

import datetime as dt
import re

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
