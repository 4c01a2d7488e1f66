"""`assistant config`: the effective settings, secrets masked."""

from __future__ import annotations

import json

import typer

from assistant.cli._common import user_errors
from assistant.settings import config_file, load_settings, masked
from assistant.text.safe import one_line


def register(app: typer.Typer) -> None:
    @app.command("config")
    def config(
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of TOML-like text."),
    ) -> None:
        """Print the effective settings (defaults, config file, environment), secrets masked."""
        with user_errors():
            data = masked(load_settings())
        if as_json:
            print(json.dumps(data, indent=2))
            return
        print(f"# config file: {one_line(str(config_file()))}")
        _print_toml(data)


def _print_toml(data: dict[str, object], prefix: str = "") -> None:
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    for key, value in data.items():
        if key not in tables:
            print(f"{key} = {json.dumps(value)}")
    for key, value in tables.items():
        name = f"{prefix}{key}"
        print(f"\n[{name}]")
        _print_toml(value, prefix=f"{name}.")  # type: ignore[arg-type]
