"""Renders a RunReport: a rich table for the terminal, JSON, and a Markdown file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from evals.baseline import Comparison
from evals.results import CaseResult, RunReport, TurnResult

SUMMARY_ROWS = (
    ("pass_rate", "cases passed"),
    ("correctness", "correctness (all turns)"),
    ("answer_correctness", "correctness (answerable)"),
    ("refusal_precision", "refusal precision"),
    ("refusal_recall", "refusal recall"),
    ("recall_at_k", "retrieval recall@k"),
    ("gold_hit_at_k", "a gold article in top k"),
    ("dense_hit_at_k", "  … dense alone"),
    ("bm25_hit_at_k", "  … BM25 alone"),
    ("fused_hit_at_k", "  … fused"),
    ("mrr", "retrieval MRR"),
    ("evidence_cited", "evidence in cited quotes"),
    ("evidence_retrieved", "evidence in retrieved passages"),
    ("citation_validity", "citation validity"),
    ("citation_precision", "citation precision"),
    ("short_answer_shown", "short answer shown (answered)"),
    ("short_answer_right", "short answer holds the gold"),
    ("perspectives", "outlets answered in their own words"),
    ("latency_p50_s", "latency p50 (s)"),
    ("latency_p95_s", "latency p95 (s)"),
)


def fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _turn_label(case: CaseResult, n: int) -> str:
    return f"{case.id} #{n + 1}" if case.conversation else case.id


def _outcome(turn: TurnResult) -> str:
    if turn.error:
        return "error"
    if not turn.answerable:
        return "refused" if turn.refused else "answered (should refuse)"
    if turn.refused:
        return "refused (should answer)"
    return "" if turn.correct else "lacks " + " / ".join("|".join(g) for g in turn.missing)


def render_terminal(report: RunReport, console: Console, *, failures_only: bool = False) -> None:
    """Pass/fail per case (per turn), then the summary."""
    table = Table(title="Eval cases", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("case", no_wrap=True)
    for column in ("result", "R@k", "MRR", "cites", "s"):
        table.add_column(column, no_wrap=True, justify="right" if column != "result" else "left")
    table.add_column("note", overflow="fold", ratio=1)
    for case in report.cases:
        for n, turn in enumerate(case.turns):
            if failures_only and turn.passed:
                continue
            result = "[green]PASS[/]" if turn.passed else "[red]FAIL[/]"
            cites = f"{len(turn.citations) - turn.invalid_citations}/{len(turn.citations)}"
            table.add_row(
                _turn_label(case, n),
                result,
                fmt(turn.recall_at_k, 2),
                fmt(turn.mrr, 2),
                cites,
                f"{turn.latency_s:.2f}",
                _outcome(turn) or turn.error,
            )
    console.print(table)
    console.print(_summary_table(report))
    if report.judge:
        console.print(
            f"[yellow]experimental[/] LLM-judged faithfulness ({report.judge['model']}): "
            f"{fmt(report.judge['faithfulness'])} over {report.judge['judged_turns']} turns"
        )


def _summary_table(report: RunReport) -> Table:
    s = report.summary
    title = f"Summary — {report.backend} ({report.model or 'no model'}), k={report.k}"
    table = Table(title=title, show_header=False)
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("cases", f"{s['passed_cases']}/{s['cases']} passed, {s['turns']} turns")
    for key, label in SUMMARY_ROWS:
        table.add_row(label, fmt(s[key]))
    table.add_row("citations", f"{s['citations']} shown, {s['invalid_citations']} invalid")
    if s["errors"]:
        table.add_row("errors", str(s["errors"]))
    index = report.index
    table.add_row(
        "index",
        f"{index.get('articles', '?')} articles, {index.get('chunks', '?')} chunks, "
        f"{index.get('embedding_model', '?')}",
    )
    return table


def render_comparison(comparison: Comparison, console: Console) -> None:
    """Every flipped case and every summary metric change against the baseline."""
    for title, flips in (
        ("Regressions (pass → fail)", comparison.regressions),
        ("Fixed (fail → pass)", comparison.fixes),
    ):
        if flips:
            console.print(f"[bold]{title}[/]")
            for flip in flips:
                deltas = ", ".join(f"{k} {v:+.3f}" for k, v in flip.deltas.items())
                console.print(f"  {flip.id}" + (f"  ({deltas})" if deltas else ""))
    table = Table(title=f"Against the baseline (tolerance {comparison.tolerance})")
    for column in ("metric", "baseline", "now", "Δ"):
        table.add_column(column, justify="right" if column != "metric" else "left")
    dropped = {m.name for m in comparison.dropped}
    for m in comparison.metrics:
        delta = "–" if m.delta is None else f"{m.delta:+.3f}"
        if m.name in dropped:
            delta = f"[red]{delta}[/]"
        table.add_row(m.name, fmt(m.before), fmt(m.after), delta)
    console.print(table)
    if comparison.missing:
        console.print(f"not run now: {', '.join(comparison.missing)}")
    if comparison.added:
        console.print(f"new cases: {', '.join(comparison.added)}")
    verdict = "[red]REGRESSED[/]" if comparison.failed else "[green]no regression[/]"
    console.print(f"baseline: {verdict}")


def write_json(report: RunReport, path: Path, comparison: Comparison | None = None) -> None:
    data = report.to_dict()
    if comparison is not None:
        data["baseline"] = comparison.to_dict()
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _md(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def to_markdown(report: RunReport, comparison: Comparison | None = None) -> str:
    """A readable report: run facts, summary, failures in full, then every case."""
    s = report.summary
    lines = [
        "# Eval report",
        "",
        f"- suites: {', '.join(report.suites)}",
        f"- started: {report.started} ({report.duration_s:.1f} s)",
        f"- backend: {report.backend}; model: {report.model or '–'}; k = {report.k}",
        f"- index: {_md(json.dumps(report.index))}",
        f"- versions: {', '.join(f'{k} {v}' for k, v in report.versions.items())}",
        "",
        "## Summary",
        "",
        "| metric | value |",
        "|---|---|",
        f"| cases | {s['passed_cases']}/{s['cases']} passed, {s['turns']} turns |",
        *(f"| {label} | {fmt(s[key])} |" for key, label in SUMMARY_ROWS),
        f"| citations | {s['citations']} shown, {s['invalid_citations']} invalid |",
        "",
    ]
    if report.judge:
        lines += [
            "## Experimental: LLM-judged faithfulness",
            "",
            f"{fmt(report.judge['faithfulness'])} ({report.judge['model']}, "
            f"{report.judge['judged_turns']} turns judged). Not part of the numbers above.",
            "",
        ]
    if comparison is not None:
        lines += _markdown_comparison(comparison)
    lines += ["## Failures", ""]
    failing = [(c, n, t) for c in report.cases for n, t in enumerate(c.turns) if not t.passed]
    if not failing:
        lines += ["None.", ""]
    for case, n, turn in failing:
        lines += _markdown_failure(case, n, turn)
    lines += [
        "## All cases",
        "",
        "| case | result | tags | recall@k | MRR | cites ok | s |",
        "|---|---|---|---|---|---|---|",
    ]
    for case in report.cases:
        for n, turn in enumerate(case.turns):
            valid = len(turn.citations) - turn.invalid_citations
            lines.append(
                f"| {_turn_label(case, n)} | {'PASS' if turn.passed else 'FAIL'} | "
                f"{', '.join(case.tags)} | {fmt(turn.recall_at_k)} | {fmt(turn.mrr)} | "
                f"{valid}/{len(turn.citations)} | {turn.latency_s:.2f} |"
            )
    return "\n".join(lines) + "\n"


def _markdown_failure(case: CaseResult, n: int, turn: TurnResult) -> list[str]:
    expected = " AND ".join("(" + " | ".join(g) + ")" for g in turn.expected) or "a refusal"
    out = [
        f"### {_turn_label(case, n)}",
        "",
        f"- question: {_md(turn.question)}",
        f"- expected: {_md(expected)}; sources: {', '.join(turn.sources) or '–'}",
        f"- outcome: {_md(_outcome(turn) or turn.error or 'invalid citation')}",
        f"- retrieved: {', '.join(turn.retrieved) or '–'}",
        "",
        "> " + (_md(turn.answer) or "(empty answer)"),
        "",
    ]
    for c in turn.citations:
        flag = "" if c["valid"] else f" **INVALID: {c['problem']}**"
        out.append(
            f"- [{c['n']}] {c['article_id']} {c['start']}:{c['end']}{flag}: “{_md(c['quote'])}”"
        )
    return [*out, ""]


def _markdown_comparison(comparison: Comparison) -> list[str]:
    out = [
        "## Against the baseline",
        "",
        f"Result: **{'REGRESSED' if comparison.failed else 'no regression'}** "
        f"(tolerance {comparison.tolerance})",
        "",
    ]
    for title, flips in (("Regressions", comparison.regressions), ("Fixed", comparison.fixes)):
        for flip in flips:
            deltas = ", ".join(f"{k} {v:+.3f}" for k, v in flip.deltas.items())
            out.append(f"- {title.lower()}: {flip.id} {deltas}")
    out += ["", "| metric | baseline | now | Δ |", "|---|---|---|---|"]
    for m in comparison.metrics:
        out.append(
            f"| {m.name} | {fmt(m.before)} | {fmt(m.after)} | "
            f"{'–' if m.delta is None else f'{m.delta:+.3f}'} |"
        )
    return [*out, ""]


def write_markdown(report: RunReport, path: Path, comparison: Comparison | None = None) -> None:
    path.write_text(to_markdown(report, comparison), encoding="utf-8")
