"""The side-by-side eval report: backends × suites, each corpus in its own index → evals/REPORT.md.

    python evals/report_all.py                       # every suite, all 8 RealTime QA weeks
    python evals/report_all.py --weeks 20220715,20230512 --work /tmp/rtqa-indexes

Suites: the seeds, the out-of-domain check suite, the RealTime QA dev weeks and its report
weeks (the split is named in the report). Each corpus is ingested once into a data dir under
``--work`` and reused by every backend; pass the same ``--work`` again to skip the ingests.
Saved runs in ``evals/results/rules-<suite>.json`` (the answerer before issue 9's scorer) are
shown as the "old rules" rows for the suites they cover. Report weeks are for numbers only:
this script prints no failures.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evals.importers.realtimeqa import DEV_WEEKS, REPORT_WEEKS, convert, split_of
from evals.reports import fmt
from evals.results import CaseResult, RunReport, TurnResult, summarize
from evals.suite import load_suites
from evals.workspace import REPO, Workspace, find_realtimeqa

BACKENDS = ("extractive", "fitted", "top-passage")
RESULTS = REPO / "evals" / "results"
OLD_RULES = "old rules"
_SAVED = re.compile(r"(.+?)-(seeds|ood|realtimeqa-\d{8})$")  # <backend>-<suite>.json
FRESH = "Each corpus is ingested into its own fresh index."
REUSED = (
    "Each corpus has its own index, reused from `--work` (synced to its corpus first: only"
    " changed files are ingested again)."
)
COLUMNS = (
    ("answer_correctness", "answerable acc"),
    ("refusal_precision", "refusal P"),
    ("refusal_recall", "refusal R"),
    ("dense_hit_at_k", "recall@k dense"),
    ("bm25_hit_at_k", "recall@k BM25"),
    ("fused_hit_at_k", "recall@k fused"),
    ("gold_hit_at_k", "gold article in top k"),
    ("short_answer_shown", "short answer shown"),
    ("short_answer_right", "short answer right"),
    ("citation_validity", "citation validity"),
)


@dataclass(frozen=True)
class Corpus:
    """One index to build and the suite asked over it."""

    name: str  # data dir name and the key of saved runs: seeds, ood, realtimeqa-W
    group: str  # the report's row group
    corpus: Path
    suite: Path


def corpora(suites: Sequence[str], weeks: Sequence[str], work: Path) -> list[Corpus]:
    out = []
    if "seeds" in suites:
        out.append(Corpus("seeds", "seeds", REPO / "seeds", REPO / "evals" / "seeds.yaml"))
    if "ood" in suites:
        ood = REPO / "evals" / "ood"
        out.append(Corpus("ood", "ood", ood / "corpus", ood / "ood.yaml"))
    wanted = [w for w in weeks if split_of(w) in suites]
    if wanted:
        dataset = find_realtimeqa()
        if dataset is None:
            raise SystemExit("RealTime QA data not found (shared/datasets/realtimeqa)")
        for week in convert(dataset, work / "realtimeqa", wanted):
            committed = REPO / "evals" / "realtimeqa" / week.suite.name
            if committed.read_text(encoding="utf-8") != week.suite.read_text(encoding="utf-8"):
                print(f"warning: {committed} differs from a fresh conversion", file=sys.stderr)
            group = f"realtimeqa {week.split}"
            out.append(Corpus(f"realtimeqa-{week.week}", group, week.corpus, committed))
    return out


def still_asked(cases: list[CaseResult], suite: Path) -> list[CaseResult]:
    """The saved ``cases`` the suite still asks (a suite regenerated since the run may have
    dropped some), so old and new rows count the same questions."""
    ids = {case.id for case in load_suites([suite])}
    return [case for case in cases if case.id in ids]


def load_saved(path: Path) -> list[CaseResult]:
    """The cases of a saved ``--json`` run, rebuilt so they can be summarised together."""
    data = json.loads(path.read_text(encoding="utf-8"))
    names = {f.name for f in fields(TurnResult)}
    return [
        CaseResult(
            case["id"],
            case.get("file", ""),
            list(case.get("tags", [])),
            bool(case.get("conversation", False)),
            [TurnResult(**{k: v for k, v in t.items() if k in names}) for t in case["turns"]],
        )
        for case in data["cases"]
    ]


def group_label(group: str, names: Sequence[str]) -> str:
    if not group.startswith("realtimeqa"):
        return group
    weeks = ", ".join(n.removeprefix("realtimeqa-") for n in names)
    return f"RealTime QA {group.split()[1]} weeks ({weeks})"


def markdown(
    runs: dict[tuple[str, str], list[CaseResult]],
    coverage: dict[tuple[str, str], list[str]],
    groups: Sequence[str],
    backends: Sequence[str],
    k: int,
    minutes: float,
) -> str:
    lines = [
        "# Eval report",
        "",
        f"Generated by `make eval-report` (`python evals/report_all.py`) in {minutes:.1f} min;"
        f" k={k} passages. {FRESH}",
        "",
        "**RealTime QA split (by week).** dev (fitting) weeks: " + ", ".join(DEV_WEEKS) + ". "
        "Report weeks: " + ", ".join(REPORT_WEEKS) + ". Fitting and tuning use dev weeks only;"
        " report weeks are run for these numbers and their failures are never inspected."
        " The ood suite is a check set, never tuned on.",
        "",
        "Backends: `extractive` (the default answerer, rules), `fitted` (the answer scorer"
        " fitted by `make train` on the dev weeks' quiz questions and"
        " `evals/realtimeqa/direct-dev.yaml`: its dev-week rows are in-sample),"
        f" `top-passage` (quotes the first"
        f" retrieved passage whole; the baseline), `{OLD_RULES}` (the rule-based extractive"
        " answerer before issue 9, saved runs in `evals/results/rules-*.json`, only for the"
        " suites it was run on). recall@k = share of answerable questions with a gold article"
        " among a stage's top k passages; gold article in top k = ...among the k passages the"
        " answer shows as its sources (`fitted` re-ranks the 25 it reads, one passage an"
        " article first); short answer shown = share of answered answerable questions (with"
        " a one-part gold) whose answer leads with a span, short answer right = share of those"
        " spans that hold the gold; p50 = median wall time per question.",
        "",
    ]
    head = ["suite", "backend", "turns", *(label for _, label in COLUMNS), "p50 ms"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for group in groups:
        for backend in [*backends, OLD_RULES]:
            cases = runs.get((group, backend))
            if not cases:
                continue
            s = summarize(cases)
            p50 = s["latency_p50_s"]
            row = [
                group_label(group, coverage[(group, backend)]),
                backend,
                str(s["turns"]),
                *(fmt(s[key]) for key, _ in COLUMNS),
                "–" if p50 is None else f"{p50 * 1000:.0f}",
            ]
            lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weeks", default=",".join(DEV_WEEKS + REPORT_WEEKS))
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--suites", default="seeds,ood,dev,report")
    parser.add_argument("--work", type=Path, help="Keep the indexes here (reused next time).")
    parser.add_argument("--k", type=int, default=None, help="Passages per question.")
    parser.add_argument("--out", type=Path, default=REPO / "evals" / "REPORT.md")
    parser.add_argument("--json-dir", type=Path, help="Also write every run's --json here.")
    parser.add_argument(
        "--saved-only",
        action="store_true",
        help="No runs: the table of the saved runs in evals/results/ (<backend>-<suite>.json).",
    )
    args = parser.parse_args(argv)
    if args.saved_only:
        return _saved_report(args.out)
    started = time.perf_counter()
    suites = [s.strip() for s in args.suites.split(",") if s.strip()]
    weeks = [w.strip() for w in args.weeks.split(",") if w.strip()]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    with tempfile.TemporaryDirectory(prefix="eval-report-") as tmp:
        work = args.work or Path(tmp)
        space = Workspace(work, status=lambda m: print(m, file=sys.stderr))
        runs: dict[tuple[str, str], list[CaseResult]] = {}
        coverage: dict[tuple[str, str], list[str]] = {}
        k = 0
        for item in corpora(suites, weeks, work):
            space.index(item.name, item.corpus)
            for backend in backends:
                print(f"{item.name}: {backend}", file=sys.stderr)
                report = space.run(item.name, item.corpus, [item.suite], backend, k=args.k)
                k = report.k
                _keep(runs, coverage, item, backend, report.cases)
                if args.json_dir:
                    _write_json(args.json_dir / f"{backend}-{item.name}.json", report)
            saved = RESULTS / f"rules-{item.name}.json"
            if saved.is_file():
                _keep(runs, coverage, item, OLD_RULES, still_asked(load_saved(saved), item.suite))
        groups = list(dict.fromkeys(group for group, _ in runs))
        text = markdown(runs, coverage, groups, backends, k, (time.perf_counter() - started) / 60)
        if args.work:
            text = text.replace(FRESH, REUSED)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


def suite_group(name: str) -> str:
    """``realtimeqa-W`` → ``realtimeqa dev`` / ``realtimeqa report``; other names as they are."""
    if name.startswith("realtimeqa-"):
        return f"realtimeqa {split_of(name.removeprefix('realtimeqa-'))}"
    return name


def _saved_report(out: Path) -> int:
    runs: dict[tuple[str, str], list[CaseResult]] = {}
    coverage: dict[tuple[str, str], list[str]] = {}
    backends: list[str] = []
    k = 0
    order = {"seeds": 0, "ood": 1, "realtimeqa dev": 2, "realtimeqa report": 3}
    for path in sorted(RESULTS.glob("*.json")):
        found = _SAVED.match(path.stem)
        if not found:
            continue
        prefix, name = found.groups()
        backend = OLD_RULES if prefix == "rules" else prefix
        if backend not in backends and backend != OLD_RULES:
            backends.append(backend)
        k = k or int(json.loads(path.read_text(encoding="utf-8")).get("k", 0))
        item = Corpus(name, suite_group(name), path, path)
        _keep(runs, coverage, item, backend, load_saved(path))
    groups = sorted({g for g, _ in runs}, key=lambda g: order.get(g, 9))
    text = markdown(runs, coverage, groups, backends, k, 0.0)
    text = text.replace(
        "in 0.0 min;", "from the saved runs in `evals/results/` (`--saved-only`);", 1
    )
    out.write_text(text, encoding="utf-8")
    print(text)
    return 0


def _keep(
    runs: dict[tuple[str, str], list[CaseResult]],
    coverage: dict[tuple[str, str], list[str]],
    item: Corpus,
    backend: str,
    cases: list[CaseResult],
) -> None:
    runs.setdefault((item.group, backend), []).extend(cases)
    coverage.setdefault((item.group, backend), []).append(item.name)


def _write_json(path: Path, report: RunReport) -> None:
    from evals.reports import write_json

    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(report, path)


if __name__ == "__main__":
    raise SystemExit(main())
