"""Metadata a person wrote down: a ``<file>.meta.yaml`` sidecar or YAML front matter (.md, .txt).

Both override what the text heuristics find. Known keys (and aliases) are title, outlet
(publisher, source, site), published (date), updated (modified), byline (author, authors),
url (link);
other keys are ignored. A key present with an empty value clears the field on purpose.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from assistant.text.dates import iso_from_object, normalise_date

SIDECAR_SUFFIX = ".meta.yaml"

_ALIASES = {
    "title": "title",
    "headline": "title",
    "outlet": "outlet",
    "publisher": "outlet",
    "source": "outlet",
    "site": "outlet",
    "sitename": "outlet",
    "published": "published",
    "date": "published",
    "published_date": "published",
    "updated": "updated",
    "modified": "updated",
    "updated_date": "updated",
    "byline": "byline",
    "author": "byline",
    "authors": "byline",
    "url": "url",
    "link": "url",
}
_DATE_FIELDS = ("published", "updated")
_OPENING = re.compile(r"\ufeff?---[ \t]*\r?\n")
_CLOSING = re.compile(r"^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.MULTILINE)


class MetaError(ValueError):
    """A sidecar or front matter block that cannot be used; the message says why."""


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def is_sidecar(path: Path) -> bool:
    return path.name.lower().endswith(SIDECAR_SUFFIX)


def front_matter(text: str) -> tuple[int, dict[str, Any]] | None:
    """End offset and mapping of a leading ``---`` YAML block, or None when there is none.

    A leading ``---`` whose block is not a YAML mapping is a thematic break, not front matter.
    """
    opening = _OPENING.match(text)
    if not opening:
        return None
    closing = _CLOSING.search(text, opening.end())
    if not closing:
        return None
    data = _parse_yaml(text[opening.end() : closing.start()], "front matter", first_line=2)
    if not isinstance(data, dict):
        return None
    return closing.end(), data


def parse_sidecar(raw: bytes) -> dict[str, str]:
    try:
        source = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise MetaError(f"not valid UTF-8 (byte offset {err.start})") from None
    data = _parse_yaml(source, "YAML")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise MetaError("expected a mapping of fields such as 'title: ...'")
    return meta_fields(data)


def meta_fields(data: dict[Any, Any]) -> dict[str, str]:
    """The known fields of a YAML mapping as strings, dates normalised to ISO 8601."""
    fields: dict[str, str] = {}
    for key, value in data.items():
        name = _ALIASES.get(str(key).strip().lower())
        if name is None or (name in fields and str(key).strip().lower() != name):
            continue
        fields[name] = _as_text(name, value)
    return fields


def _as_text(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name in _DATE_FIELDS:
        if isinstance(value, dt.date):
            return iso_from_object(value)
        iso = normalise_date(str(value))
        if not iso and str(value).strip():
            raise MetaError(
                f"{name}: {str(value)!r} is not a date (use e.g. 2021-09-02 or 2021-09-02T21:48)"
            )
        return iso
    if isinstance(value, list):
        return ", ".join(str(v).strip() for v in value if v is not None)
    return " ".join(str(value).split())


def _parse_yaml(source: str, what: str, first_line: int = 1) -> Any:
    import yaml

    try:
        return yaml.safe_load(source)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + first_line}" if mark is not None else ""
        raise MetaError(f"{what} is not valid YAML{where}") from None
