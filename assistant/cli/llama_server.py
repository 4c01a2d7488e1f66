"""`assistant llama-server`: llama-cpp-python's OpenAI-compatible server, made to run here.

``python -m llama_cpp.server`` crashes on CPUs whose AMX kernels it repacks weights for, and
has no flag to turn that off; this launcher loads the model with repacking off (as the local
backend does), lets idle threads sleep (OMP_WAIT_POLICY=PASSIVE unless set), refuses a GGUF
without a chat template unless --chat-format is given, and accepts the packaged model names.
"""

from __future__ import annotations

import sys

import typer

from assistant.cli._common import user_errors


def register(app: typer.Typer) -> None:
    @app.command("llama-server")
    def llama_server(
        model: str = typer.Option(
            ..., "--model", help="GGUF file, or smollm2-135m / gemma3-270m (packaged models)."
        ),
        port: int = typer.Option(8080, "--port", min=1, max=65535, help="Port to listen on."),
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
        n_ctx: int = typer.Option(4096, "--n-ctx", min=512, help="Context window in tokens."),
        n_threads: int = typer.Option(2, "--n-threads", min=1, help="CPU threads."),
        chat_format: str = typer.Option(
            "", "--chat-format", help="Chat format for a GGUF without a template (e.g. gemma)."
        ),
    ) -> None:
        """Serve a GGUF model at http://HOST:PORT/v1 for the openai backend."""
        with user_errors():
            argv = server_argv(model, host, port, n_ctx, n_threads, chat_format)
            serve(argv)


def server_argv(
    model: str, host: str, port: int, n_ctx: int, n_threads: int, chat_format: str
) -> list[str]:
    """llama_cpp.server's arguments for the resolved model; raises on a template-less GGUF."""
    from pathlib import Path

    from assistant.answer.local_model import check_chat_template, resolve_model
    from assistant.errors import InputError
    from assistant.settings import load_settings

    settings = load_settings(local={"model_path": model, "chat_format": chat_format})
    path, fmt = resolve_model(settings.local, settings.models_dir)
    if not Path(path).is_file():
        raise InputError(f"no model file {path}")
    check_chat_template(path, fmt)
    argv = ["--model", str(path), "--host", host, "--port", str(port)]
    argv += ["--n_ctx", str(n_ctx), "--n_threads", str(n_threads)]
    argv += ["--model_alias", path.name.removesuffix(".gguf")]
    return argv + (["--chat_format", fmt] if fmt else [])


def serve(argv: list[str]) -> None:
    """Run llama_cpp.server in this process (until it is stopped)."""
    import runpy

    from assistant.answer.local_model import passive_threads

    passive_threads()  # before llama.cpp's OpenMP runtime loads
    from assistant.answer.local_model import register_chat_formats, without_weight_repacking

    register_chat_formats()
    sys.argv = ["llama_cpp.server", *argv]
    with without_weight_repacking():
        runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
