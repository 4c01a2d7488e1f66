"""`assistant serve`: the HTTP API (FastAPI) over the same library calls as the CLI.

Every error a client sees is one JSON line, ``{"error": {"kind", "message"}}``, with a status
that says what went wrong (401 token, 404 unknown id, 413 body too large, 422 bad input, 502
model endpoint, 503 no index or store busy, 500 a bug); a traceback never leaves the server.
One Assistant serves every request (see ``shared``).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import threading
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.answer.events import (
    CitationAdded,
    Done,
    Draft,
    Event,
    Failed,
    Retrieved,
    TextDelta,
)
from assistant.errors import AssistantError, InputError
from assistant.serve.shared import Served, check_bind, make_filters

STATUS = {
    "input": 422,
    "not-found": 404,
    "index": 503,
    "busy": 503,
    "model-mismatch": 503,
    "endpoint": 502,
    "store-unreachable": 503,
    "store-conflict": 409,
    "index-damaged": 503,
    "config": 500,
}


class AskBody(BaseModel):
    """The body of POST /v1/ask and /v1/ask/stream."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(..., description="The question, in words.")
    session_id: str = Field(
        "",
        description='Continue a saved session by id; "new" starts one, "latest" continues the '
        "most recent; empty saves nothing.",
    )
    outlet: list[str] = Field(default_factory=list, description="Only these outlets' articles.")
    since: str = Field("", description="Only articles dated on/after YYYY-MM-DD.")
    until: str = Field("", description="Only articles dated on/before YYYY-MM-DD.")
    k: int | None = Field(None, ge=1, le=100, description="Passages to retrieve.")


class BodyTooLarge(Exception):
    pass


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def error(
    status: int, kind: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"error": {"kind": kind, "message": one_line(message)}}
    return JSONResponse(body, status_code=status, headers=headers)


def validation_message(errors: Any) -> str:
    parts = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        parts.append(f"{'.'.join(loc) or 'body'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


class BodyLimit:
    """Refuse bodies over ``limit`` bytes: by Content-Length up front, else while reading."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            response = error(413, "too-large", self._message())
            await response(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge(self._message())
            return message

        await self.app(scope, limited, send)

    def _message(self) -> str:
        return (
            f"the request body is larger than {self.limit:,} bytes "
            "(ASSISTANT_SERVE__MAX_BODY_BYTES)"
        )


def token_matches(header: str, token: str) -> bool:
    scheme, _, value = header.partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(
        value.strip().encode(), token.encode()
    )


def bearer_only(app: ASGIApp, token: str) -> ASGIApp:
    """Wrap any ASGI app (the MCP one) so every HTTP request needs ``Bearer <token>``."""

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            header = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not token_matches(header.decode("latin-1"), token):
                response = error(
                    401,
                    "unauthorized",
                    "a valid bearer token is required",
                    {"WWW-Authenticate": "Bearer"},
                )
                await response(scope, receive, send)
                return
        await app(scope, receive, send)

    return guarded


def make_app(served: Served) -> FastAPI:
    """The API over ``served``; tests pass their own, ``serve`` the one from settings."""
    app = FastAPI(
        title="News assistant",
        version="1",
        summary="Answers about news articles with verbatim quotes, each cited by its offsets.",
        docs_url="/docs",
    )
    app.add_middleware(BodyLimit, limit=served.settings.serve.max_body_bytes)
    _add_error_handlers(app)
    from assistant.serve.openai_compat import chat_router

    guard = [Depends(_token_check(served))]
    app.include_router(_router(served), dependencies=guard)
    app.include_router(chat_router(served), dependencies=guard)

    @app.get("/healthz", tags=["meta"])
    def healthz() -> dict[str, Any]:
        """Liveness; says whether the index is loaded, and what it holds."""
        return served.health()

    return app


def _token_check(served: Served) -> Any:
    token = served.settings.serve.token.get_secret_value()

    def check(request: Request) -> None:
        if not token:
            return
        if not token_matches(request.headers.get("authorization", ""), token):
            raise HTTPException(401, "a valid bearer token is required (Authorization: Bearer …)")

    return check


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AssistantError)
    async def assistant_error(request: Request, exc: AssistantError) -> JSONResponse:
        return error(STATUS.get(exc.kind, 500), exc.kind, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error(422, "input", validation_message(exc.errors()))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        kind = {401: "unauthorized", 404: "not-found", 405: "method"}.get(exc.status_code, "http")
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return error(exc.status_code, kind, str(exc.detail), headers)

    @app.exception_handler(BodyTooLarge)
    async def too_large(request: Request, exc: BodyTooLarge) -> JSONResponse:
        return error(413, "too-large", str(exc))

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:
        print(f"assistant serve: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return error(500, "internal", "internal error (the server's log has the details)")


_ASK_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": AskBody.model_json_schema()}},
    }
}


async def read_json(request: Request) -> Any:
    """The body as JSON whatever its Content-Type says, so `curl -d '{...}'` works."""
    raw = await request.body()
    try:
        data = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as err:
        raise InputError(f"the body is not JSON: {err}") from None
    if not isinstance(data, dict):
        raise InputError('the body must be a JSON object like {"question": "..."}')
    return data


async def ask_body(request: Request) -> AskBody:
    try:
        return AskBody.model_validate(await read_json(request))
    except ValidationError as err:
        raise InputError(validation_message(err.errors())) from None


def _turn_args(body: AskBody) -> dict[str, Any]:
    return {
        "session": body.session_id,
        "filters": make_filters(body.outlet, body.since, body.until),
        "k": body.k,
    }


def _router(served: Served) -> APIRouter:
    router = APIRouter(prefix="/v1")

    @router.post("/ask", tags=["answers"], openapi_extra=_ASK_BODY)
    async def ask(request: Request) -> dict[str, Any]:
        """The answer with its verified citations: the JSON of `assistant ask --json`."""
        body = await ask_body(request)
        answer, session_id = await run_in_threadpool(
            lambda: served.ask(body.question, **_turn_args(body))
        )
        data = answer.to_dict()
        if session_id:
            data["session_id"] = session_id
        return data

    @router.post("/ask/stream", tags=["answers"], openapi_extra=_ASK_BODY)
    async def ask_stream(request: Request) -> Any:
        """Server-sent events: retrieved, text, citation, then done (the answer) or failed."""
        from sse_starlette import EventSourceResponse

        body = await ask_body(request)
        args = _turn_args(body)
        return EventSourceResponse(_sse(served, body.question, args), ping=15)

    @router.get("/search", tags=["articles"])
    async def search(
        q: str = Query(..., description="What to search for."),
        k: int | None = Query(None, ge=1, le=100),
        outlet: list[str] = Query([]),
        since: str = "",
        until: str = "",
    ) -> dict[str, Any]:
        """The passages retrieval ranks first, with scores and offsets."""
        filters = make_filters(outlet, since, until)
        hits = await run_in_threadpool(lambda: served.search(q, k=k, filters=filters))
        return {"query": q, "hits": [h.to_dict() for h in hits]}

    @router.get("/sources", tags=["articles"])
    async def sources() -> list[dict[str, Any]]:
        """The indexed articles: the JSON of `assistant sources --json`."""
        return await run_in_threadpool(served.sources)

    @router.get("/articles/{article_id}", tags=["articles"])
    async def article(
        article_id: str, start: int | None = Query(None, ge=0), end: int | None = Query(None, ge=0)
    ) -> dict[str, Any]:
        """An article's text, or the span [start, end) that a citation's offsets name."""
        return await run_in_threadpool(lambda: served.article(article_id, start, end))

    @router.get("/sessions", tags=["sessions"])
    async def sessions(q: str = "") -> list[dict[str, Any]]:
        """Saved sessions, most recently used first."""
        return await run_in_threadpool(lambda: served.sessions(q))

    @router.get("/sessions/{session_id}", tags=["sessions"])
    async def session(session_id: str) -> dict[str, Any]:
        """One session, every answer with its citations (the JSON export)."""
        return await run_in_threadpool(lambda: served.session(session_id))

    return router


def event_json(event: Event, session_id: str) -> tuple[str, dict[str, Any]]:
    """The SSE name and data of one library event."""
    if isinstance(event, Retrieved):
        hits = [h.to_dict() for h in event.hits]
        return "retrieved", {"standalone_question": event.standalone_question, "hits": hits}
    if isinstance(event, Draft):  # a model's unchecked words: provisional, replaced by "text"
        return "draft", {"text": event.text, "provisional": True}
    if isinstance(event, TextDelta):
        return "text", {"text": event.text}
    if isinstance(event, CitationAdded):
        return "citation", event.citation.to_dict()
    if isinstance(event, Done):
        data = event.answer.to_dict()
        if session_id:
            data["session_id"] = session_id
        return "done", data
    assert isinstance(event, Failed)
    status = STATUS.get(event.kind, 500)
    return "failed", {
        "error": {"kind": event.kind, "message": one_line(event.message)},
        "status": status,
    }


async def _sse(
    served: Served, question: str, args: dict[str, Any]
) -> AsyncIterator[dict[str, str]]:
    """Run the turn in its own thread (it holds the lock to the end) and relay its events;
    a client that goes away stops the answer at the next event."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[Event, str] | None] = asyncio.Queue()
    cancel = threading.Event()

    def put(item: tuple[Event, str] | None) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the loop is gone: the server is shutting down
            cancel.set()

    def work() -> None:
        try:
            for item in served.turn(question, cancel=cancel, **args):
                put(item)
        except Exception as exc:
            print(f"assistant serve: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
            put((Failed(message="internal error", kind="internal", exit_code=70), ""))
        finally:
            put(None)

    threading.Thread(target=work, name="ask-stream", daemon=True).start()
    try:
        while (item := await queue.get()) is not None:
            name, data = event_json(*item)
            yield {"event": name, "data": json.dumps(data, ensure_ascii=False)}
    finally:
        cancel.set()


def serve(served: Served, host: str, port: int) -> None:
    """Load the index, then serve until interrupted."""
    import uvicorn

    check_bind(host, served.settings)
    problem = served.load()
    if problem:
        print(f"assistant serve: not ready yet: {problem}", file=sys.stderr)
    print(f"assistant serve: http://{host}:{port}/v1 (docs at /docs)", file=sys.stderr, flush=True)
    uvicorn.run(
        make_app(served),
        host=host,
        port=port,
        log_level="warning",
        server_header=False,
        timeout_graceful_shutdown=5,
    )
