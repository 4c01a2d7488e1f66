"""`assistant mcp`: the MCP server (official SDK's MCPServer) over the same library calls.

Read-only tools — ask, search, sources, get_article — return structured content and a
readable text; articles are also resources (``article://<id>``). Bad arguments are MCP
errors (invalid params) with one-line messages; other failures (no index yet, model endpoint
down) are tool errors a model can read. Nothing is loaded until the first call, so a client's
handshake is instant and a server started on an empty index says so on that call.
"""

import sys
from collections.abc import Callable, Mapping
from contextlib import closing
from typing import Any

import anyio
from mcp.server.context import CallNext, ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, CallToolResult, TextContent, ToolAnnotations
from mcp_types import Resource as MCPResource
from pydantic import ValidationError

from assistant.answer.events import Done, Failed, Retrieved, TextDelta
from assistant.errors import AssistantError, InputError
from assistant.serve.shared import Served, check_bind, make_filters
from assistant.settings import Settings
from assistant.types import Answer

READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
INSTRUCTIONS = (
    "Answers questions about the indexed news articles with verbatim quotes. Every citation "
    "carries the article id and the character offsets [start, end) of its quote; get_article "
    "with those offsets returns the same text, so a quote can be checked."
)


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def _call(fn: Callable[[], Any]) -> Any:
    """Run a library call; its AssistantError becomes an MCP error (bad input) or a tool
    error (everything else), each one line."""
    try:
        return fn()
    except InputError as err:
        raise MCPError(INVALID_PARAMS, one_line(str(err))) from None
    except AssistantError as err:
        raise ToolError(one_line(str(err))) from None


def render_answer(answer: Answer, session_id: str) -> str:
    """The answer, then one line per source; a quote already in the text is not repeated."""
    lines = [answer.text.strip()]
    inline = answer.inline_quotes()
    if answer.citations:
        lines.append("")
        lines.append("Sources:")
    for c in answer.citations:
        lines.append(
            f"[{c.n}] {c.outlet or 'unknown outlet'} · {c.title or c.article_id} · "
            f"{c.date_text()} ({c.article_id} chars {c.start}-{c.end})"
        )
        if c.n not in inline:
            lines.append(f"    “{c.quote}”")
    if session_id:
        lines.append(f"(session {session_id})")
    return "\n".join(lines)


def _ask_sync(
    served: Served,
    question: str,
    session: str,
    filters: Any,
    progress: Callable[[float, str], None],
) -> tuple[Answer, str]:
    from assistant.answer.service import error_from

    progress(0, "retrieving passages")
    answering = False
    with closing(served.turn(question, session=session, filters=filters)) as events:
        for event, session_id in events:
            if isinstance(event, Retrieved):
                progress(1, f"answering from {len(event.hits)} passages")
            elif isinstance(event, TextDelta) and not answering:
                answering = True
                progress(2, "writing the answer")
            elif isinstance(event, Done):
                progress(3, "done")
                return event.answer, session_id
            elif isinstance(event, Failed):
                raise error_from(event)
    raise AssistantError("the answer stream ended without a result")


class ArticleServer(MCPServer):
    """An MCPServer whose resource list is the indexed articles (``article://<id>``)."""

    served: Served

    async def list_resources(self) -> list[MCPResource]:
        listed = await super().list_resources()
        try:
            rows = await anyio.to_thread.run_sync(self.served.sources)
        except AssistantError:  # no index yet: the tools say so on their first call
            return listed
        return listed + [
            MCPResource(
                uri=f"article://{r['id']}",
                name=r["id"],
                title=r["title"] or r["id"],
                description=f"{r['outlet'] or 'unknown outlet'}, {_day(r)}",
                mime_type="text/plain",
            )
            for r in rows
        ]


def _day(row: dict[str, Any]) -> str:
    return str(row.get("published") or row.get("updated") or "undated")[:10]


def make_server(served: Served) -> MCPServer:
    check = _ArgumentCheck()
    server = ArticleServer(
        name="news-assistant", instructions=INSTRUCTIONS, version="1", middleware=[check]
    )
    server.served = served
    check.server = server

    @server.tool(annotations=READ_ONLY)
    async def ask(
        question: str,
        ctx: Context,
        session_id: str = "",
        outlet: str = "",
        since: str = "",
        until: str = "",
    ) -> CallToolResult:
        """Answer a question from the articles with verified, cited quotes (each citation
        has its article id and character offsets). session_id: "new" starts a saved
        conversation, an id continues one; outlet/since/until (YYYY-MM-DD) restrict sources."""
        filters = _call(lambda: make_filters([outlet], since, until))

        def progress(step: float, message: str) -> None:
            anyio.from_thread.run(ctx.report_progress, step, 3, message)

        answer, sid = await anyio.to_thread.run_sync(
            lambda: _call(lambda: _ask_sync(served, question, session_id, filters, progress))
        )
        data = answer.to_dict()
        data.pop("evidence", None)
        if sid:
            data["session_id"] = sid
        return CallToolResult(
            content=[TextContent(type="text", text=render_answer(answer, sid))],
            structured_content=data,
        )

    @server.tool(annotations=READ_ONLY)
    async def search(
        query: str, k: int = 6, outlet: str = "", since: str = "", until: str = ""
    ) -> CallToolResult:
        """The passages retrieval ranks first for a query, with scores and offsets."""

        def run() -> Any:
            filters = make_filters([outlet], since, until)
            return served.search(query, k=k, filters=filters)

        hits = await anyio.to_thread.run_sync(lambda: _call(run))
        rows = [h.to_dict() for h in hits]
        text = "\n".join(
            f"{h['rank']}. {h['article_id']} chars {h['start']}-{h['end']} "
            f"(score {h['score']:.4f}): {one_line(h['text'])[:200]}"
            for h in rows
        )
        return CallToolResult(
            content=[TextContent(type="text", text=text or "no passages")],
            structured_content={"query": query, "hits": rows},
        )

    @server.tool(annotations=READ_ONLY)
    async def sources() -> CallToolResult:
        """The indexed articles: id, title, outlet, dates, chunks."""
        rows = await anyio.to_thread.run_sync(lambda: _call(served.sources))
        text = "\n".join(
            f"{r['id']} · {r['outlet'] or 'unknown outlet'} · {r['title'] or r['id']} · "
            f"{(r['published'] or r['updated'] or 'undated')[:10]}"
            for r in rows
        )
        return CallToolResult(
            content=[TextContent(type="text", text=f"{len(rows)} articles\n{text}")],
            structured_content={"articles": rows},
        )

    @server.tool(annotations=READ_ONLY)
    async def get_article(
        id: str, start: int | None = None, end: int | None = None
    ) -> CallToolResult:
        """An article's text, or its span [start, end): the text a citation's offsets name."""
        data = await anyio.to_thread.run_sync(lambda: _call(lambda: served.article(id, start, end)))
        return CallToolResult(
            content=[TextContent(type="text", text=data["text"])], structured_content=data
        )

    @server.resource("article://{article_id}", mime_type="text/plain", name="article")
    async def article_resource(article_id: str) -> str:
        """The full text of an article (citation offsets index into it)."""
        data = await anyio.to_thread.run_sync(lambda: _call(lambda: served.article(article_id)))
        return str(data["text"])

    return server


class _ArgumentCheck:
    """Arguments that do not fit a tool's schema are an MCP invalid-params error with one
    line naming the field, rather than a multi-line validation dump in a tool result."""

    server: MCPServer | None = None

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> Any:
        params: Mapping[str, Any] | None = ctx.params
        if ctx.method == "tools/call" and params is not None and self.server is not None:
            tool = self.server._tool_manager.get_tool(str(params.get("name", "")))
            if tool is not None:
                try:
                    tool.fn_metadata.validate_arguments(params.get("arguments") or {})
                except ValidationError as err:
                    raise MCPError(INVALID_PARAMS, _one_line_validation(err)) from None
        return await call_next(ctx)


def _one_line_validation(err: ValidationError) -> str:
    parts = []
    for e in err.errors():
        field = ".".join(str(p) for p in e.get("loc", ())) or "arguments"
        parts.append(f"{field}: {e.get('msg', 'invalid')}")
    return "invalid arguments: " + "; ".join(parts)


def build(settings: Settings) -> MCPServer:
    """Status lines (the one-time seed ingest) go to stderr: stdout is the protocol's."""
    return make_server(Served(settings, on_status=lambda m: print(m, file=sys.stderr, flush=True)))


def run(settings: Settings, *, transport: str, host: str = "127.0.0.1", port: int = 8322) -> None:
    """Serve over stdio (stdout carries only the protocol) or streamable HTTP."""
    server = build(settings)
    if transport == "stdio":
        server.run("stdio")
        return
    check_bind(host, settings)
    import uvicorn

    from assistant.serve.http_api import bearer_only

    app: Any = server.streamable_http_app(
        host=host, max_request_body_size=settings.serve.max_body_bytes
    )
    token = settings.serve.token.get_secret_value()
    if token:
        app = bearer_only(app, token)
    print(f"assistant mcp: http://{host}:{port}/mcp", file=sys.stderr, flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
