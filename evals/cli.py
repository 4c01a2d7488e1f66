"""`assistant eval`: run suites against the configured assistant and report.

Registered through the ``assistant.commands`` entry point, so the library never imports it.
Exit codes: 0 the run completed, 8 a floor or the baseline gate failed, 2 a malformed suite
or bad flags, and the library's codes (3 no index, 4 endpoint…) when the assistant fails.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from typer.core import TyperGroup

from assistant.cli._common import fail, status, user_errors
from assistant.errors import EXIT_BELOW_FLOORS
from evals.baseline import BaselineError, Comparison, compare, load_baseline
from evals.floors import below_floors
from evals.reports import render_comparison, render_terminal, write_json, write_markdown
from evals.results import RunReport
from evals.runner import JudgeLike, run_cases
from evals.suite import Case, SuiteError, load_suites, select

BACKENDS = ("extractive", "fitted", "openai", "local", "top-passage")


class _RunByDefault(TyperGroup):
    """``assistant eval SUITES…`` runs suites; ``assistant eval import …`` converts datasets.

    Anything that is not a subcommand's name goes to ``run``, so the short form keeps working.
    """

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer's own click Context
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        cls=_RunByDefault,
        help="Score eval suites (`assistant eval \\[run] SUITES…`) and import datasets as suites.",
        no_args_is_help=True,
    )
    group.command("run")(eval_command)
    importers = typer.Typer(help="Convert a public QA dataset into corpus folders and suites.")
    importers.command("realtimeqa")(import_realtimeqa)
    importers.command("jsonl")(import_jsonl)
    group.add_typer(importers, name="import")
    app.add_typer(group, name="eval")


def import_realtimeqa(
    directory: Annotated[
        Path, typer.Argument(help="The dataset folder (YYYYMMDD_qa.jsonl and _gcs.jsonl files).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Where corpus/W/ and suites go.")],
    weeks: Annotated[
        str, typer.Option("--weeks", help="Comma-separated weeks (YYYYMMDD); default all.")
    ] = "",
    suites_only: Annotated[
        bool, typer.Option("--suites-only", help="Write the suites, not the corpus folders.")
    ] = False,
) -> None:
    """RealTime QA weeks → OUT/corpus/W/*.md (front matter) and OUT/realtimeqa-W.yaml."""
    from evals.importers.realtimeqa import ImportProblem, convert

    chosen = [w.strip() for w in weeks.split(",") if w.strip()]
    try:
        done = convert(directory, out, chosen, write_corpus=not suites_only)
    except ImportProblem as err:
        raise fail(str(err), 2) from None
    for week in done:
        typer.echo(
            f"{week.week} ({week.split}): {week.articles} articles, {week.answerable} answerable,"
            f" {week.refusals} refusals → {week.suite}"
        )


def import_jsonl(
    file: Annotated[Path, typer.Argument(help="A JSONL file: one question per line.")],
    out: Annotated[Path, typer.Option("--out", help="The suite to write (YAML).")],
) -> None:
    """A JSONL QA dataset (question / answer / contexts or ids; what `eval --export jsonl`
    writes) → a suite."""
    from evals.importers.jsonl import ImportProblem, convert, write_suite

    try:
        cases = convert(file)
        write_suite(cases, out, file)
    except ImportProblem as err:
        raise fail(str(err), 2) from None
    typer.echo(f"{len(cases)} cases → {out}")


def eval_command(
    suites: Annotated[list[Path], typer.Argument(help="Suite files (YAML lists of cases).")],
    backend: Annotated[
        str | None,
        typer.Option(help="Answerer to evaluate: extractive, openai, local or top-passage."),
    ] = None,
    k: Annotated[
        int | None, typer.Option("--k", min=1, help="Passages retrieved per question.")
    ] = None,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Run only this case id (repeatable).")
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="Run only cases with this tag (repeatable).")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the full report as JSON.")
    ] = None,
    markdown: Annotated[
        Path | None, typer.Option("--markdown", help="Write a Markdown report.")
    ] = None,
    baseline: Annotated[
        Path | None, typer.Option(help="An earlier --json report; exit 8 on any regression.")
    ] = None,
    tolerance: Annotated[
        float, typer.Option(help="Allowed drop of a summary metric vs the baseline.")
    ] = 0.02,
    min_correctness: Annotated[
        float | None, typer.Option(help="Exit 1 below this correctness.")
    ] = None,
    min_refusal_recall: Annotated[
        float | None, typer.Option(help="Exit 1 below this refusal recall.")
    ] = None,
    min_citation_validity: Annotated[
        float | None, typer.Option(help="Exit 1 below this citation validity.")
    ] = None,
    corpus: Annotated[
        list[Path] | None,
        typer.Option(
            help="Folders whose files citations are checked against (default: seeds dir)."
        ),
    ] = None,
    judge: Annotated[
        bool, typer.Option("--judge", help="EXPERIMENTAL: LLM-judged faithfulness, reported apart.")
    ] = False,
    failures: Annotated[
        bool, typer.Option("--failures", help="Show only failing turns in the table.")
    ] = False,
    export: Annotated[
        tuple[str, Path] | None,
        typer.Option(
            "--export",
            metavar="FORMAT OUT",
            help="Write one row per turn to OUT: jsonl (ours and ragas' fields) or ragas.",
        ),
    ] = None,
) -> None:
    """Run eval suites and report correctness, refusals, retrieval and citation checks."""
    if backend is not None and backend not in BACKENDS:
        raise fail(f"--backend must be one of {', '.join(BACKENDS)}, not {backend!r}", 2)
    from evals.export import FORMATS, Recorder

    if export is not None and export[0] not in FORMATS:
        raise fail(f"--export takes {' or '.join(FORMATS)}, not {export[0]!r}", 2)
    cases = _load(suites, only or [], tag or [])
    old = _load_baseline(baseline)
    with user_errors():
        from assistant.answer.service import Assistant
        from assistant.settings import load_settings

        overrides: dict[str, Any] = {"answer": {"backend": backend}} if backend else {}
        settings = load_settings(**overrides)
        assistant = Assistant.from_settings(settings, on_status=status)
        judge_model = _make_judge(settings) if judge else None
        recorder = Recorder(assistant)
        report = _run(cases, recorder, [str(s) for s in suites], k, corpus, judge_model)
    if export is not None:
        _export(cases, report, recorder, *export)
    out = Console()
    comparison = compare(report.to_dict(), old, tolerance) if old is not None else None
    render_terminal(report, out, failures_only=failures)
    if comparison is not None:
        render_comparison(comparison, out)
    if json_out:
        write_json(report, json_out, comparison)
    if markdown:
        write_markdown(report, markdown, comparison)
    _gate(report, comparison, min_correctness, min_refusal_recall, min_citation_validity)


def _export(cases: list[Case], report: RunReport, recorder: Any, fmt: str, out: Path) -> None:
    from evals.export import rows, write

    data = rows(cases, report, recorder.answers)
    try:
        write(out, fmt, data)
    except OSError as err:
        raise fail(f"cannot write {out}: {err.strerror or err}", 2) from None
    status(f"wrote {len(data)} rows ({fmt}) to {out}")


def _load(paths: list[Path], only: list[str], tags: list[str]) -> list[Case]:
    try:
        cases = select(load_suites(paths), only, tags)
    except SuiteError as err:
        _print_problems(err)
        raise typer.Exit(2) from None
    if not cases:
        raise fail("no case matches --only/--tag", 2)
    return cases


def _print_problems(err: SuiteError) -> None:
    print(
        f"assistant: error: the suite is malformed ({len(err.problems)} problems)", file=sys.stderr
    )
    for problem in err.problems:
        print(f"  {problem}", file=sys.stderr)


def _load_baseline(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        return load_baseline(path)
    except BaselineError as err:
        raise fail(str(err), 2) from None


def _make_judge(settings: Any) -> JudgeLike | None:
    from assistant.errors import AssistantError
    from evals.judge import make_judge

    try:
        return make_judge(settings)
    except AssistantError as err:
        status(f"--judge: no judge model, skipping the experimental judge ({err})")
        return None


def _run(
    cases: list[Case],
    assistant: Any,
    suites: list[str],
    k: int | None,
    corpus: list[Path] | None,
    judge: JudgeLike | None,
) -> RunReport:
    total = sum(len(c.turns) for c in cases)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("eval", total=total)

        def advance(case: Case, n: int) -> None:
            progress.update(task, advance=1, description=case.id)

        try:
            return run_cases(
                cases,
                assistant,
                suites=suites,
                k=k,
                corpus_dirs=corpus,
                on_turn=advance,
                judge=judge,
            )
        except SuiteError as err:
            progress.stop()
            _print_problems(err)
            raise typer.Exit(2) from None


def _gate(
    report: RunReport,
    comparison: Comparison | None,
    min_correctness: float | None,
    min_refusal_recall: float | None,
    min_citation_validity: float | None,
) -> None:
    floors = {
        name: value
        for name, value in (
            ("correctness", min_correctness),
            ("refusal_recall", min_refusal_recall),
            ("citation_validity", min_citation_validity),
        )
        if value is not None
    }
    problems = below_floors(report.summary, floors)
    for line in problems:
        print(f"assistant: eval: {line}", file=sys.stderr)
    if problems or (comparison is not None and comparison.failed):
        raise typer.Exit(EXIT_BELOW_FLOORS)
