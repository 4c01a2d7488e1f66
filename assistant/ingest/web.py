"""Web pages into the data dir: the fetched HTML is kept as the article's original file.

A page is saved as ``<data>/sources/web/<host>-<slug>-<hash>.html`` beside a ``.meta.yaml``
sidecar holding its URL and what trafilatura read from it (title, author, date, site name as
outlet). Ingest then reads it like any HTML file, so offsets and citations work the same and
the user can open the page the quotes come from.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from assistant.files import FILE_MODE, private_dir
from assistant.ingest.fetch import Fetched, FetchError, fetch, make_client
from assistant.ingest.frontmatter import sidecar_path
from assistant.settings import Settings
from assistant.text.dates import normalise_date

_SLUG = re.compile(r"[^a-z0-9]+")
_MAX_SLUG = 60


def fetch_pages(urls: Sequence[str], settings: Settings) -> tuple[list[Path], list[str]]:
    """Fetch and save each URL; the saved files, and one line for each URL that failed."""
    saved: list[Path] = []
    failed: list[str] = []
    with make_client(settings.fetch) as client:
        for url in urls:
            try:
                saved.append(save_page(fetch(url, settings.fetch, client=client), settings))
            except FetchError as err:
                failed.append(str(err))
    return saved, failed


def save_page(
    fetched: Fetched,
    settings: Settings,
    meta: dict[str, str] | None = None,
    *,
    prefer_meta: bool = False,
) -> Path:
    """Write the page and its sidecar; ``meta`` (a feed entry's, say) fills what the page lacks,
    or wins over it with ``prefer_meta`` (a page built from the entry itself)."""
    found = {k: v for k, v in page_meta(fetched.body, fetched.url, fetched.final_url).items() if v}
    given = {k: v for k, v in (meta or {}).items() if v}
    merged = {**found, **given} if prefer_meta else {**given, **found}
    merged["outlet"] = merged.get("outlet") or host_name(fetched.final_url or fetched.url)
    merged["url"] = fetched.url
    path = source_file(settings.sources_dir / "web", fetched.url, ".html")
    write_article(path, fetched.body, merged)
    return path


def page_meta(html: bytes, url: str, final_url: str = "") -> dict[str, str]:
    """Title, outlet, byline and date as trafilatura reads them; refuses a page with no text."""
    import trafilatura

    try:
        result = trafilatura.bare_extraction(
            html,
            url=final_url or url,
            with_metadata=True,
            include_comments=False,
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except Exception as err:  # one unparsable page must not stop the others
        raise FetchError(url, f"HTML could not be parsed ({type(err).__name__})") from None
    if not (getattr(result, "text", None) or "").strip():
        raise FetchError(url, "no article text found in the page")
    return {
        "title": _one_line(getattr(result, "title", None)),
        "outlet": _one_line(getattr(result, "sitename", None)),
        "byline": _one_line(getattr(result, "author", None)),
        "published": normalise_date(_one_line(getattr(result, "date", None))),
    }


def host_name(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def source_file(folder: Path, key: str, suffix: str) -> Path:
    """A stable, readable file name for ``key`` (a URL or a record's identity)."""
    parts = urlsplit(key)
    words = f"{parts.hostname or ''} {parts.path}" if parts.scheme else key
    slug = _SLUG.sub("-", words.lower()).strip("-")[:_MAX_SLUG].strip("-") or "article"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]
    return folder / f"{slug}-{digest}{suffix}"


def write_article(path: Path, data: bytes, meta: dict[str, Any]) -> None:
    """The article file and its sidecar, each replaced atomically."""
    import yaml

    private_dir(path.parent)
    clean = {k: v for k, v in meta.items() if v not in ("", None, [])}
    side = yaml.safe_dump(clean, allow_unicode=True, sort_keys=True).encode("utf-8")
    _replace(sidecar_path(path), side)
    _replace(path, data)


def _replace(path: Path, data: bytes) -> None:
    if path.exists() and path.read_bytes() == data:
        return  # unchanged: keep the file (and its hash) as it was
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def _one_line(value: object) -> str:
    return " ".join(str(value or "").split())
