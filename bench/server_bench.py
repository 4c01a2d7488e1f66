"""A ``chroma run`` server on 127.0.0.1 for the server-mode benchmark, started and stopped here."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from bench.common import PYTHON


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _up(port: int) -> bool:
    for path in ("/api/v2/heartbeat", "/api/v1/heartbeat"):
        url = f"http://127.0.0.1:{port}{path}"
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as resp:
            if resp.status == 200:
                return True
    return False


@contextlib.contextmanager
def chroma_server(path: Path, log: Path, timeout: float = 60.0) -> Iterator[int]:
    """Start ``chroma run`` on a free loopback port; yield the port; stop it (by its pid)."""
    chroma = str(Path(PYTHON).with_name("chroma"))
    port = free_port()
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            deadline = time.monotonic() + timeout
            while not _up(port):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"chroma run did not start; see {log}")
                time.sleep(0.2)
            yield port
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def server_env(port: int) -> dict[str, str]:
    return {
        "ASSISTANT_STORE__MODE": "server",
        "ASSISTANT_STORE__HOST": "127.0.0.1",
        "ASSISTANT_STORE__PORT": str(port),
    }
