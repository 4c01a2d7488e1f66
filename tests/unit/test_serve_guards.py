"""The guards both servers share: a bearer token wrapper for any ASGI app (the MCP one), the
body limit, and the refusal to listen beyond loopback without a token."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from assistant.errors import InputError
from assistant.serve.http_api import BodyLimit, bearer_only
from assistant.serve.shared import check_bind, is_loopback
from assistant.settings import load_settings


def app() -> Starlette:
    async def echo(request: object) -> PlainTextResponse:
        body = await request.body()  # type: ignore[attr-defined]
        return PlainTextResponse(f"{len(body)} bytes")

    return Starlette(routes=[Route("/", echo, methods=["POST"])])


def test_bearer_only_needs_the_exact_token() -> None:
    client = TestClient(bearer_only(app(), "tok"))
    assert client.post("/").status_code == 401
    assert client.post("/", headers={"Authorization": "Bearer nope"}).status_code == 401
    denied = client.post("/", headers={"Authorization": "Basic tok"})
    assert denied.status_code == 401 and denied.json()["error"]["kind"] == "unauthorized"
    assert client.post("/", headers={"Authorization": "Bearer tok"}).text == "0 bytes"


def test_body_limit_by_length_and_while_streaming() -> None:
    client = TestClient(BodyLimit(app(), 2048))
    assert client.post("/", content=b"x" * 2048).text == "2048 bytes"
    refused = client.post("/", content=b"x" * 2049)
    assert refused.status_code == 413 and refused.json()["error"]["kind"] == "too-large"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("10.0.0.5", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_a_public_host_needs_a_token() -> None:
    settings = load_settings()
    with pytest.raises(InputError, match="without a token"):
        check_bind("0.0.0.0", settings)
    settings.serve.token = SecretStr("tok")
    check_bind("0.0.0.0", settings)
