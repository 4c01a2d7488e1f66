"""`assistant serve` (the HTTP API) and `assistant mcp` (the MCP server): thin launchers."""

from __future__ import annotations

import typer

from assistant.cli._common import status, user_errors


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("mcp")(mcp)


def serve(
    host: str = typer.Option("", "--host", help="Address to bind (default 127.0.0.1)."),
    port: int = typer.Option(0, "--port", min=0, max=65535, help="Port (default 8321)."),
) -> None:
    """Serve the HTTP API: /v1/ask, /v1/ask/stream, /v1/search, /v1/sources, /v1/articles,
    /v1/sessions, /healthz; OpenAPI docs at /docs. A non-loopback host needs a token
    (ASSISTANT_SERVE__TOKEN)."""
    from assistant.serve.http_api import serve as run
    from assistant.serve.shared import Served
    from assistant.settings import load_settings

    with user_errors():
        settings = load_settings()
        run(
            Served(settings, on_status=status),
            host or settings.serve.host,
            port or settings.serve.port,
        )


def mcp(
    http: bool = typer.Option(False, "--http", help="Streamable HTTP instead of stdio."),
    host: str = typer.Option("", "--host", help="--http: address to bind (default 127.0.0.1)."),
    port: int = typer.Option(0, "--port", min=0, max=65535, help="--http: port (default 8322)."),
) -> None:
    """Serve the tools ask, search, sources and get_article, and article:// resources, over
    MCP: stdio by default (what Claude Desktop and editors launch), or --http."""
    from assistant.serve.mcp_server import run
    from assistant.settings import load_settings

    with user_errors():
        settings = load_settings()
        if http:
            run(
                settings,
                transport="http",
                host=host or settings.serve.host,
                port=port or settings.serve.mcp_port,
            )
        else:
            run(settings, transport="stdio")
