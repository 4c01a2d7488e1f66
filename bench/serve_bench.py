"""POST /v1/ask p50 on the seeds questions vs the same questions answered in-process, warm,
measured in the same run (interleaved, so machine load hits both alike).

    .venv/bin/python bench/serve_bench.py [--questions 20] [--rounds 3] [--json OUT]

A temp data dir gets the seeds (ingested once, by the server's start); the in-process
Assistant opens the same index. Both are warmed with one pass before timing.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import PYTHON, isolated_env, summary_ms  # noqa: E402


def _questions(n: int) -> list[str]:
    from evals.suite import load_suites

    cases = load_suites([ROOT / "evals" / "seeds.yaml"])
    return [c.turns[0].question for c in cases if not c.conversation][:n]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(proc: subprocess.Popen[bytes], base: str, timeout: float = 300) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).json().get("loaded"):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("the server did not come up")


def run(questions: list[str], rounds: int, work: Path) -> dict[str, Any]:
    import httpx

    env = isolated_env(work / "data", work / "models")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [PYTHON, "-m", "assistant", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(proc, base)
        os.environ.update({k: v for k, v in env.items() if k.startswith("ASSISTANT_")})
        from assistant.answer.service import Assistant
        from assistant.settings import load_settings

        assistant = Assistant.from_settings(load_settings())
        http_s: list[float] = []
        local_s: list[float] = []
        with httpx.Client(base_url=base, timeout=120) as client:
            for warm in [True] + [False] * rounds:
                for q in questions:
                    began = time.perf_counter()
                    assistant.ask(q)
                    mid = time.perf_counter()
                    response = client.post("/v1/ask", json={"question": q})
                    end = time.perf_counter()
                    response.raise_for_status()
                    if not warm:
                        local_s.append(mid - began)
                        http_s.append(end - mid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    http, local = summary_ms(http_s), summary_ms(local_s)
    return {
        "questions": len(questions),
        "rounds": rounds,
        "http_ask": http,
        "in_process_ask": local,
        "p50_ratio": http["p50_ms"] / local["p50_ms"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, help="write the result here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="serve-bench-") as tmp:
        result = run(_questions(args.questions), args.rounds, Path(tmp))
    h, p = result["http_ask"], result["in_process_ask"]
    print(
        f"POST /v1/ask p50 {h['p50_ms']:.1f} ms (p95 {h['p95_ms']:.1f}) vs in-process "
        f"p50 {p['p50_ms']:.1f} ms (p95 {p['p95_ms']:.1f}): ratio {result['p50_ratio']:.2f}× "
        f"over {h['n']} asks"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
