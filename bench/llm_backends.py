"""The LLM backends on a fixed subset of the seed suite: backend × model → correct, refusal
precision/recall, the share of answers that kept the model's own evidence (not the extractive
fallback), and p50 latency. Slow (a small model on a CPU): run by hand, not by `make bench`.

    python bench/llm_backends.py --backend local --model gemma3-270m --out report.json
    python bench/llm_backends.py --backend openai --base-url http://127.0.0.1:PORT/v1 ...

The subset is fixed by rule, not chosen by result: every 6th case of evals/seeds.yaml plus
every 2nd case with an unanswerable turn.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def subset() -> list[Any]:
    from evals.suite import load_suites

    cases = load_suites([ROOT / "evals" / "seeds.yaml"])
    refusing = [c for c in cases if any(not t.answerable for t in c.turns)]
    keep = {c.id for c in cases[::6]} | {c.id for c in refusing[::2]}
    return [c for c in cases if c.id in keep]


class Recording:
    """The Assistant, keeping every Answer so the evals' report can be joined with it."""

    def __init__(self, assistant: Any, log: Path | None = None) -> None:
        self._assistant = assistant
        self.answers: list[Any] = []
        self._log = log

    def __getattr__(self, name: str) -> Any:
        return getattr(self._assistant, name)

    def ask(self, question: str, history: Any = (), **kwargs: Any) -> Any:
        answer = self._assistant.ask(question, history, **kwargs)
        self.answers.append(answer)
        if self._log is not None:  # progress, one line per answer, for long runs
            line = {
                "question": question,
                "answer": answer.text,
                "refused": answer.refused,
                "backend": answer.backend,
                "total_s": answer.timings.get("total_s"),
            }
            with self._log.open("a", encoding="utf-8") as f:
                f.write(json.dumps(line) + "\n")
        return answer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["local", "openai"], required=True)
    parser.add_argument("--model", default="", help="local: GGUF or packaged name")
    parser.add_argument("--base-url", default="")
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--stride", type=int, default=1, help="every Nth case of the subset")
    parser.add_argument("--deadline", type=float, default=300.0, help="total seconds per answer")
    args = parser.parse_args()

    from assistant.answer.service import Assistant
    from assistant.settings import load_settings
    from evals.results import summarize
    from evals.runner import run_cases

    overrides: dict[str, Any] = {"answer": {"backend": args.backend}, "retrieval": {"k": args.k}}
    if args.backend == "local":
        overrides["local"] = {"model_path": args.model, "max_tokens": 200,
                              "total_timeout": args.deadline}  # fmt: skip
    else:
        overrides["openai"] = {"base_url": args.base_url, "model": args.model or "served",
                               "timeout": 170, "max_tokens": 200,
                               "total_timeout": args.deadline}  # fmt: skip
    settings = load_settings(**overrides)
    log = args.out.with_suffix(".progress.jsonl")
    log.unlink(missing_ok=True)
    assistant = Recording(Assistant.from_settings(settings), log)
    cases = subset()[:: args.stride]
    report = run_cases(cases, assistant, k=args.k)  # type: ignore[arg-type]
    summary = summarize(report.cases)
    turns = [t for c in report.cases for t in c.turns]
    answered = [a for a in assistant.answers if not a.refused]
    kept = [a for a in answered if a.backend == args.backend]
    row = {
        "backend": args.backend,
        "model": assistant.model,
        "turns": len(turns),
        "correct": summary["correctness"],
        "refusal_precision": summary["refusal_precision"],
        "refusal_recall": summary["refusal_recall"],
        "kept_model_evidence": len(kept) / len(answered) if answered else None,
        "answered": len(answered),
        "citation_validity": summary["citation_validity"],
        "errors": summary["errors"],
        "p50_s": summary["latency_p50_s"],
        "notes": sorted({n for a in assistant.answers for n in a.notes}),
    }
    detail = [
        {"question": t.question, "answer": a.text, "refused": a.refused, "backend": a.backend,
         "correct": t.correct, "error": t.error, "latency_s": t.latency_s, "notes": a.notes}
        for t, a in zip(turns, assistant.answers, strict=False)
    ]  # fmt: skip
    args.out.write_text(json.dumps({"row": row, "turns": detail}, indent=2), encoding="utf-8")
    print(json.dumps(row, indent=2))


if __name__ == "__main__":
    main()
