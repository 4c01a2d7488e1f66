"""What `ingest` was given → files to index: paths as they are, URLs and dumps saved first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assistant.ingest.dumps import is_dump, read_dumps
from assistant.ingest.fetch import is_url
from assistant.ingest.web import fetch_pages
from assistant.settings import Settings


@dataclass
class Gathered:
    paths: list[Path] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    duplicates: int = 0


def gather(
    items: Sequence[str],
    settings: Settings,
    *,
    mapping: dict[str, str] | None = None,
    records_key: str = "",
) -> Gathered:
    """Files and folders pass through; URLs are fetched and JSONL dumps split into records."""
    urls = [item for item in items if is_url(item)]
    dumps = [Path(item) for item in items if not is_url(item) and is_dump(Path(item))]
    out = Gathered(paths=[Path(i) for i in items if not is_url(i) and not is_dump(Path(i))])
    if urls:
        saved, failed = fetch_pages(urls, settings)
        out.paths += saved
        out.failed += failed
    if dumps:
        report = read_dumps(dumps, settings, mapping=mapping, records_key=records_key)
        out.paths += report.files
        out.failed += report.failed
        out.duplicates = report.duplicates
    return out
