"""JSONL news dumps into the data dir: each record becomes an article file of its own.

A record's text is written as ``<data>/sources/records/<slug>-<hash>.txt`` (the file its
offsets point into) beside a sidecar with its URL, title, outlet, date and byline, so ingest
reads it like any other file. Records are deduplicated by URL and by text; a line that cannot
be used is reported with its line number and the rest are still written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import InputError
from assistant.ingest.web import host_name, source_file, write_article
from assistant.settings import Settings
from assistant.text.dates import normalise_date

DUMP_SUFFIXES = (".jsonl", ".ndjson")
DEFAULT_KEYS: dict[str, tuple[str, ...]] = {
    "text": ("text", "content", "body", "maintext", "article"),
    "title": ("title", "headline"),
    "url": ("url", "link"),
    "authors": ("authors", "author", "byline"),
    "publish_date": ("publish_date", "published", "date_publish", "date", "pubDate"),
    "outlet": ("outlet", "source", "site_name", "sitename", "publisher", "source_domain"),
}
_TRUNCATED = (" ...", " …", "...", "…")


@dataclass
class DumpReport:
    files: list[Path] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    duplicates: int = 0


def is_dump(path: Path) -> bool:
    return path.suffix.lower() in DUMP_SUFFIXES


def parse_map(specs: Sequence[str]) -> dict[str, str]:
    """``["title=headline,text=body"]`` → ``{"title": "headline", "text": "body"}``."""
    mapping: dict[str, str] = {}
    for spec in specs:
        for pair in filter(None, (p.strip() for p in spec.split(","))):
            name, sep, key = pair.partition("=")
            if not sep or not key.strip() or name.strip() not in DEFAULT_KEYS:
                names = ", ".join(DEFAULT_KEYS)
                raise InputError(f"--map {pair!r}: expected FIELD=KEY with FIELD one of {names}")
            mapping[name.strip()] = key.strip()
    return mapping


def read_dumps(
    dumps: Sequence[Path],
    settings: Settings,
    *,
    mapping: dict[str, str] | None = None,
    records_key: str = "",
) -> DumpReport:
    """Write every usable record of ``dumps`` as an article file; duplicates are skipped."""
    report = DumpReport()
    seen_urls: set[str] = set()
    seen_texts: set[str] = set()
    folder = settings.sources_dir / "records"
    for dump in dumps:
        for where, record in _records(dump, records_key, report):
            try:
                fields = _fields(record, mapping or {})
            except ValueError as err:
                report.failed.append(f"{where}: {err}")
                continue
            text_key = hashlib.sha256(" ".join(fields["text"].split()).encode()).hexdigest()
            url_key = _url_key(fields["url"])
            if text_key in seen_texts or (url_key and url_key in seen_urls):
                report.duplicates += 1
                continue
            seen_texts.add(text_key)
            seen_urls.add(url_key)
            path = source_file(folder, fields["url"] or f"text:{text_key}", ".txt")
            text = fields.pop("text")
            write_article(path, text.encode("utf-8"), fields)
            report.files.append(path)
    return report


def _records(dump: Path, key: str, report: DumpReport) -> Iterator[tuple[str, dict[str, Any]]]:
    try:
        handle = dump.open("rb")
    except OSError as err:
        report.failed.append(f"{dump}: {err.strerror or err}")
        return
    with handle:
        for number, raw in enumerate(handle, start=1):
            where = f"{dump}:{number}"
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as err:
                reason = err.msg if isinstance(err, json.JSONDecodeError) else "not UTF-8"
                report.failed.append(f"{where}: not JSON ({reason})")
                continue
            items = _line_records(line, key)
            if isinstance(items, str):
                report.failed.append(f"{where}: {items}")
                continue
            for n, item in enumerate(items, start=1):
                label = f"{where} (record {n})" if key else where
                if isinstance(item, dict):
                    yield label, item
                else:
                    report.failed.append(f"{label}: a record must be a JSON object")


def _line_records(line: Any, key: str) -> list[Any] | str:
    """The records of one line, or why there are none."""
    if not key:
        return line if isinstance(line, list) else [line]
    if not isinstance(line, dict) or key not in line:
        return f"no {key!r} key (--records)"
    items = line[key]
    return items if isinstance(items, list) else [items]


def _fields(record: dict[str, Any], mapping: dict[str, str]) -> dict[str, str]:
    def get(name: str) -> Any:
        keys = (mapping[name],) if name in mapping else DEFAULT_KEYS[name]
        for key in keys:
            value = _lookup(record, key)
            if value not in (None, "", []):
                return value
        return None

    text = get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"no text (expected a non-empty string under {_keys('text', mapping)})")
    url = _one_line(get("url"))
    authors = get("authors")
    if isinstance(authors, list):
        authors = ", ".join(_one_line(a.get("name") if isinstance(a, dict) else a) for a in authors)
    outlet = get("outlet")
    if isinstance(outlet, dict):
        outlet = outlet.get("name") or outlet.get("title")
    return {
        "text": text,
        "url": url,
        "title": _untruncated(_one_line(get("title"))),
        "outlet": _one_line(outlet) or host_name(url),
        "byline": _one_line(authors),
        "published": normalise_date(_one_line(get("publish_date"))),
    }


def _lookup(record: dict[str, Any], key: str) -> Any:
    """``key`` may be dotted: ``source.name``."""
    value: Any = record
    for part in key.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _keys(name: str, mapping: dict[str, str]) -> str:
    return repr(mapping[name]) if name in mapping else " or ".join(map(repr, DEFAULT_KEYS[name]))


def _url_key(url: str) -> str:
    return url.split("#")[0].rstrip("/").lower()


def _untruncated(title: str) -> str:
    """Search results cut long titles with "...": the cut is not part of the title."""
    for mark in _TRUNCATED:
        if title.endswith(mark):
            return title[: -len(mark)].rstrip(" ,;:-–—")
    return title


def _one_line(value: object) -> str:
    return " ".join(str(value or "").split())
