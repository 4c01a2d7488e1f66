"""OMP_WAIT_POLICY on a busy machine: llama.cpp generation speed, spinning vs sleeping threads.

Each run is a fresh process (OpenMP reads the policy when it loads) that loads SmolLM2-135M
(repacking off, as the local backend does) and generates a fixed number of tokens from a
fixed prompt; runs alternate ACTIVE / PASSIVE so a change in the machine's load hits both.

    python bench/omp_wait.py [--rounds 2] [--tokens 64]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import json, sys, time
from assistant.answer.local_model import default_model_path, without_weight_repacking
from llama_cpp import Llama
with without_weight_repacking():
    llm = Llama(model_path=str(default_model_path()), n_ctx=512, n_threads=2, verbose=False)
prompt = "Write a short news report about a city council meeting."
started = time.perf_counter()
no_end = {llm.token_eos(): -100.0}  # always the full number of tokens
out = llm(prompt, max_tokens=int(sys.argv[1]), temperature=0.0, logit_bias=no_end)
elapsed = time.perf_counter() - started
n = out["usage"]["completion_tokens"]
print(json.dumps({"tokens": n, "seconds": elapsed, "tok_s": n / elapsed}))
"""


def run(policy: str, tokens: int) -> dict[str, float]:
    env = {**os.environ, "OMP_WAIT_POLICY": policy, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tokens)],
        env=env, capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=64)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    results: dict[str, list[float]] = {"ACTIVE": [], "PASSIVE": []}
    for _ in range(args.rounds):
        for policy in results:
            results[policy].append(run(policy, args.tokens)["tok_s"])
    summary = {p: round(sorted(v)[len(v) // 2], 2) for p, v in results.items()}
    print(json.dumps({"load_1min": load, "cores": os.cpu_count(), "tok_s": results,
                      "median_tok_s": summary}, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
