"""Fetch one web resource politely and safely: a timeout, a size cap, few redirects, a type check.

The body is streamed and abandoned as soon as it passes the cap, so a huge page costs at most
the cap in memory. Every refusal is a ``FetchError`` whose reason fits on one line.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.errors import AssistantError

if TYPE_CHECKING:
    import httpx

    from assistant.settings import FetchSettings

HTML_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
    "application/feed+json",
    "application/json",
    "text/html",  # some servers label every feed so; feedparser decides
)
_MB = 1024 * 1024


class FetchError(AssistantError):
    """A URL that could not be fetched. ``str(err) == f"{url}: {reason}"``."""

    kind = "fetch"

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(url, reason)
        self.url = url
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.url}: {self.reason}"


@dataclass(frozen=True)
class Fetched:
    url: str
    """The URL asked for; ``final_url`` is where redirects ended."""
    final_url: str
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def is_url(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


def fetch(
    url: str,
    settings: FetchSettings,
    *,
    accept: tuple[str, ...] = HTML_TYPES,
    headers: dict[str, str] | None = None,
    client: httpx.Client | None = None,
) -> Fetched:
    """GET ``url`` within the settings' limits; a 304 comes back with an empty body."""
    import httpx

    own = client is None
    http = client or make_client(settings)
    try:
        return _get(http, url, settings, accept, headers or {})
    except httpx.TooManyRedirects:
        raise FetchError(url, f"more than {settings.max_redirects} redirects") from None
    except httpx.TimeoutException:
        raise FetchError(url, f"timed out after {settings.timeout:g} s (fetch.timeout)") from None
    except httpx.InvalidURL as err:
        raise FetchError(url, f"not a valid URL ({err})") from None
    except httpx.HTTPError as err:
        raise FetchError(url, f"request failed ({type(err).__name__}: {err})") from None
    finally:
        if own:
            http.close()


def make_client(settings: FetchSettings) -> httpx.Client:
    import httpx

    return httpx.Client(
        follow_redirects=True,
        max_redirects=settings.max_redirects,
        timeout=httpx.Timeout(settings.timeout, connect=min(settings.timeout, 10.0)),
        headers={"User-Agent": settings.user_agent},
    )


def _get(
    http: httpx.Client,
    url: str,
    settings: FetchSettings,
    accept: tuple[str, ...],
    headers: dict[str, str],
) -> Fetched:
    cap = int(settings.max_mb * _MB)
    deadline = time.monotonic() + settings.timeout * 4
    with http.stream("GET", url, headers=headers) as response:
        if response.status_code == 304:
            return _fetched(url, response, b"")
        if response.status_code >= 400:
            raise FetchError(url, f"HTTP {response.status_code} {response.reason_phrase}".strip())
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind not in accept:
            raise FetchError(url, f"content type {kind or '(none)'} is not {' or '.join(accept)}")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise FetchError(url, _too_large(int(declared), settings.max_mb))
        parts: list[bytes] = []
        size = 0
        for part in response.iter_bytes():
            size += len(part)
            if size > cap:
                raise FetchError(url, _too_large(size, settings.max_mb, at_least=True))
            if time.monotonic() > deadline:
                raise FetchError(url, f"still downloading after {settings.timeout * 4:g} s")
            parts.append(part)
        return _fetched(url, response, b"".join(parts))


def _fetched(url: str, response: httpx.Response, body: bytes) -> Fetched:
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    keep = ("etag", "last-modified", "content-type")
    headers = {k: response.headers[k] for k in keep if k in response.headers}
    return Fetched(url, str(response.url), response.status_code, kind, body, headers)


def _too_large(size: int, max_mb: float, *, at_least: bool = False) -> str:
    if at_least:
        return f"page is larger than the {max_mb:g} MB limit (fetch.max_mb)"
    return f"page is {size / _MB:.1f} MB, over the {max_mb:g} MB limit (fetch.max_mb)"
