"""Turns what the OpenAI SDK, httpx and LangChain raise into one-line EndpointErrors.

Messages are built from our own words, the base URL (without any user:password part) and
the status code. The server's error body is shown only for 400/404/422 (it names the bad
model or parameter), after redacting anything that looks like a key: some servers echo the
key they refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from urllib.parse import urlsplit, urlunsplit

from assistant.errors import AssistantError, EndpointError

_KEYLIKE = re.compile(r"\b(?:sk|pk|rk|key|tok|token)[-_][A-Za-z0-9_\-*]{6,}", re.IGNORECASE)
_CONNECT = {"ConnectError", "ConnectionRefusedError", "ConnectionResetError", "gaierror"}
_TIMEOUT = {
    "ConnectTimeout",
    "ReadTimeout",
    "WriteTimeout",
    "PoolTimeout",
    "TimeoutError",
    "APITimeoutError",
    "TimeoutException",
    "StreamChunkTimeoutError",
}
_CUT = {"RemoteProtocolError", "ReadError", "IncompleteRead", "ChunkedEncodingError"}


def public_url(url: str) -> str:
    """The URL without credentials or query string: safe to show."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def redact(text: str, secrets: Sequence[str] = ()) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _KEYLIKE.sub("***", text)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _request_url(exc: BaseException) -> str:
    for err in _chain(exc):
        try:
            request = getattr(err, "request", None)
        except RuntimeError:  # httpx raises when the request was never set
            request = None
        if request is not None and getattr(request, "url", None) is not None:
            url = str(request.url)
            return url.split("/chat/completions")[0]
    return ""


def status_of(exc: BaseException) -> int | None:
    """The HTTP status anywhere in the exception's chain, if there is one."""
    return _status(exc)


def _status(exc: BaseException) -> int | None:
    for err in _chain(exc):
        code = getattr(err, "status_code", None)
        if isinstance(code, int):
            return code
    return None


def _server_message(exc: BaseException, secrets: Sequence[str]) -> str:
    body = getattr(exc, "body", None)
    message = ""
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = str(inner.get("message", "")) if isinstance(inner, dict) else str(inner)
    elif isinstance(body, str):
        message = body
    message = " ".join(redact(message, secrets).split())
    return message[:200]


def _for_status(code: int, url: str, exc: BaseException, secrets: Sequence[str]) -> str:
    if code == 401:
        return "the endpoint refused the API key (401) — check ASSISTANT_OPENAI__API_KEY"
    if code == 403:
        return f"the endpoint at {url} denied access (403) — check the API key's permissions"
    if code == 429:
        return "rate limited (429) — try again later"
    if code >= 500:
        return f"the model endpoint at {url} failed with a server error ({code}); try again later"
    detail = _server_message(exc, secrets)
    suffix = f": {detail}" if detail else ""
    if code == 404:
        return f"the endpoint at {url} has no such model or path (404){suffix}"
    return f"the endpoint at {url} rejected the request ({code}){suffix}"


def map_error(
    exc: BaseException,
    *,
    base_url: str = "",
    timeout: float | None = None,
    secrets: Sequence[str] = (),
) -> AssistantError:
    """One-line EndpointError for ``exc``; AssistantErrors pass through unchanged."""
    if isinstance(exc, AssistantError):
        return exc
    url = public_url(base_url or _request_url(exc) or "the configured endpoint")
    names = {type(err).__name__ for err in _chain(exc)}
    code = _status(exc)
    if code is not None:
        return EndpointError(_for_status(code, url, exc, secrets))
    if names & _TIMEOUT:
        within = f" within {timeout:g} s" if timeout else " in time"
        return EndpointError(f"no answer from {url}{within}")
    if names & _CUT:
        return EndpointError(f"the connection to {url} closed before the answer was complete")
    if "ConnectionRefusedError" in names:
        return EndpointError(
            f"cannot reach the model endpoint at {url}: connection refused — is the server running?"
        )
    if "gaierror" in names:
        return EndpointError(f"cannot reach the model endpoint at {url}: host not found")
    if names & _CONNECT or "APIConnectionError" in names:
        return EndpointError(
            f"cannot reach the model endpoint at {url}: connection failed — is the server running?"
        )
    if any(isinstance(err, json.JSONDecodeError) for err in _chain(exc)) or "SSEError" in names:
        return EndpointError(f"the model endpoint at {url} sent a malformed stream (bad JSON)")
    return EndpointError(f"the model endpoint at {url} failed ({type(exc).__name__})")
