"""Title, outlet, dates and byline of an article: read from its own lines, then overridden by
a sidecar or front matter. A field the article does not state stays "" — never a guess.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from assistant.ingest.layout import BYLINE, DATE_LABEL, METADATA, Layout, analyse, date_labels
from assistant.ingest.loaders import Document
from assistant.text.dates import parse_date_prefix
from assistant.types import Article

FIELDS = ("title", "outlet", "published", "updated", "byline", "url")

_PUBLISHED = frozenset({"first published", "published", "posted", "date", "released"})
_SOURCE = re.compile(r"^source\s*[:：]\s*(?P<value>\S.*)$", re.IGNORECASE)
_BY = re.compile(r"^(?:by|authors?|written\s+by|reporters?|writers?)\s*[:：]?\s+", re.IGNORECASE)
_STAFF = re.compile(
    r"\s+(?:editorial(?:\s+board)?|staff(?:\s+(?:writers?|reporters?))?|reporters?"
    r"|correspondents?|editors?|writers?|news\s+desk|desk)$",
    re.IGNORECASE,
)
_DOMAIN = re.compile(r"^(?:https?://)?(?:www\.)?[\w-]+(?:\.[\w-]+)+(?:/\S*)?$", re.IGNORECASE)
# "Lü Xiang, a research fellow ..., told the Global Times." is how a paper cites its own reporting.
_TOLD = re.compile(
    r",\s+told\s+the\s+(?P<outlet>[A-Z][\w'’&-]*(?:\s+[A-Z][\w'’&-]*){0,4})(?=\s*[.,])"
)
_MAX_OUTLET_WORDS = 8


def extract_metadata(doc: Document) -> Article:
    layout = analyse(doc.text, doc.kind)
    found: dict[str, Any] = {
        "title": layout.title,
        "outlet": _outlet(layout, doc.text),
        "byline": _byline(layout),
        **_dates(layout),
    }
    found.update({k: v for k, v in doc.extra_meta.items() if k in FIELDS})
    return Article(id=doc.article_id, path=str(doc.path), content_hash=doc.content_hash, **found)


def _dates(layout: Layout) -> dict[str, str]:
    dates = {"published": "", "updated": ""}
    for line, role in zip(layout.lines, layout.roles, strict=True):
        if role not in (METADATA, BYLINE):
            continue
        for label, iso in date_labels(line.text):
            key = "published" if label in _PUBLISHED else "updated"
            dates[key] = dates[key] or iso
    return dates


def _outlet(layout: Layout, text: str) -> str:
    """A "Source:" line, else the outlet a byline names, else the paper citing itself twice."""
    for line, role in zip(layout.lines, layout.roles, strict=True):
        m = _SOURCE.match(line.text) if role == METADATA else None
        value = _cut_at_date_label(m.group("value").split("|")[0]) if m else ""
        if value and len(value.split()) <= _MAX_OUTLET_WORDS:
            return value
    for line, role in zip(layout.lines, layout.roles, strict=True):
        outlet = _byline_outlet(line.text) if role == BYLINE else ""
        if outlet:
            return outlet
    return _self_citation(text)


def _cut_at_date_label(value: str) -> str:
    """The outlet alone from a "Source:" value such as "Global Times Published: 2021-09-03"."""
    m = DATE_LABEL.search(value)
    return (value[: m.start()] if m and m.group().rstrip().endswith((":", "：")) else value).strip()


def _byline(layout: Layout) -> str:
    for line, role in zip(layout.lines, layout.roles, strict=True):
        if role == BYLINE:
            return _BY.sub("", line.text.split("|")[0], count=1).strip(" ,;")
    return ""


def _byline_outlet(text: str) -> str:
    """The outlet a byline names: "By China Daily editorial | …", "By Li Qiang | China Daily"."""
    first, *rest = [part.strip() for part in text.split("|")]
    name = _BY.sub("", first, count=1).strip(" ,;")
    staff = _STAFF.search(name)
    if staff and name[: staff.start()][:1].isupper():
        return name[: staff.start()].strip()
    for part in rest:
        if not part or ":" in part or "：" in part or _DOMAIN.match(part):
            continue
        if parse_date_prefix(part)[0] or not part[0].isupper():
            continue
        if len(part.split()) <= _MAX_OUTLET_WORDS:
            return part
    return ""


def _self_citation(text: str) -> str:
    counts = Counter(m.group("outlet") for m in _TOLD.finditer(text)).most_common(2)
    if not counts or counts[0][1] < 2 or (len(counts) > 1 and counts[1][1] == counts[0][1]):
        return ""
    return counts[0][0]
