"""Compares a run with an earlier JSON report: which cases flipped, which metrics dropped.

A case that went pass → fail, or a gated summary metric that fell by more than the
tolerance, is a regression; the command then exits 1.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.results import GATED_METRICS

CASE_METRICS = ("correct", "recall_at_k", "mrr", "citation_validity", "citation_precision")


@dataclass
class Flip:
    """A case whose pass/fail changed, with how its per-turn-averaged metrics moved."""

    id: str
    before: bool
    after: bool
    deltas: dict[str, float] = field(default_factory=dict)


@dataclass
class MetricChange:
    name: str
    before: float | None
    after: float | None

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


@dataclass
class Comparison:
    regressions: list[Flip] = field(default_factory=list)
    fixes: list[Flip] = field(default_factory=list)
    metrics: list[MetricChange] = field(default_factory=list)
    dropped: list[MetricChange] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    tolerance: float = 0.02

    @property
    def failed(self) -> bool:
        return bool(self.regressions or self.dropped)

    def to_dict(self) -> dict[str, Any]:
        return {
            "failed": self.failed,
            "tolerance": self.tolerance,
            "regressions": [vars(f) for f in self.regressions],
            "fixes": [vars(f) for f in self.fixes],
            "dropped_metrics": [{**vars(m), "delta": m.delta} for m in self.dropped],
            "missing_cases": self.missing,
            "added_cases": self.added,
        }


class BaselineError(Exception):
    """The baseline file is missing or is not an eval report."""


def load_baseline(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise BaselineError(f"cannot read the baseline {path}: {err}") from None
    if not isinstance(data, dict) or "cases" not in data or "summary" not in data:
        raise BaselineError(f"{path} is not an eval JSON report (no 'cases'/'summary')")
    return data


def compare(
    current: dict[str, Any], baseline: dict[str, Any], tolerance: float = 0.02
) -> Comparison:
    """Compare two report dicts (``RunReport.to_dict()`` shape)."""
    now = {c["id"]: c for c in current["cases"]}
    before = {c["id"]: c for c in baseline["cases"]}
    result = Comparison(tolerance=tolerance)
    for case_id, case in now.items():
        old = before.get(case_id)
        if old is None:
            result.added.append(case_id)
            continue
        if bool(old["passed"]) == bool(case["passed"]):
            continue
        flip = Flip(case_id, bool(old["passed"]), bool(case["passed"]), _deltas(old, case))
        (result.fixes if flip.after else result.regressions).append(flip)
    result.missing = [i for i in before if i not in now]
    for name in GATED_METRICS:
        change = MetricChange(name, baseline["summary"].get(name), current["summary"].get(name))
        result.metrics.append(change)
        fell = change.delta is not None and change.delta < -tolerance
        if fell or (change.before is not None and change.after is None):
            result.dropped.append(change)
    return result


def _case_means(case: dict[str, Any]) -> dict[str, float]:
    out = {}
    for name in CASE_METRICS:
        values = [float(t[name]) for t in case.get("turns", []) if t.get(name) is not None]
        if values:
            out[name] = sum(values) / len(values)
    return out


def _deltas(old: dict[str, Any], new: dict[str, Any]) -> dict[str, float]:
    a, b = _case_means(old), _case_means(new)
    return {k: round(b[k] - a[k], 4) for k in b if k in a and b[k] != a[k]}
