"""Start `assistant serve` / `assistant mcp --http` as real processes on free loopback ports,
and wait on their state (the port answers), never for a fixed time."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.conftest import ROOT, SEEDS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(tmp: Path, data: Path, model_cache: Path, **extra: str) -> dict[str, str]:
    """What a child process needs to stay inside the test's temp dirs."""
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ASSISTANT_DATA_DIR": str(data),
        "ASSISTANT_CONFIG": str(tmp / "config.toml"),
        "ASSISTANT_MODEL_CACHE_DIR": str(model_cache),
        "XDG_DATA_HOME": str(tmp / "xdg-data"),
        "XDG_CONFIG_HOME": str(tmp / "xdg-config"),
        "ANONYMIZED_TELEMETRY": "False",
        **extra,
    }


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "assistant", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
        )


def wait_until(
    proc: subprocess.Popen[bytes], ready: Callable[[], bool], log: Path, timeout: float = 180
) -> None:
    """Poll ``ready`` until it holds; fail at once with the log if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if ready():
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"server not ready in {timeout:.0f} s: {log.read_text()[-2000:]}")


def healthy(base: str) -> Callable[[], bool]:
    return lambda: httpx.get(f"{base}/healthz", timeout=2).json().get("loaded") is True


def port_open(port: int) -> Callable[[], bool]:
    def check() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True

    return check


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def file_text(article_id: str) -> str:
    return (SEEDS / article_id).read_bytes().decode("utf-8")
