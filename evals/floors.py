"""Minimum scores a run must reach; the numbers live in floors.yaml (they only go up)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

FLOORS_FILE = Path(__file__).with_name("floors.yaml")


def load_floors(name: str, path: Path = FLOORS_FILE) -> dict[str, float]:
    """The floors of one suite, e.g. ``load_floors("seeds")``."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k): float(v) for k, v in (data.get(name) or {}).items()}


def below_floors(summary: dict[str, Any], floors: dict[str, float]) -> list[str]:
    """One line per metric under its floor (a missing metric counts as under)."""
    out = []
    for metric, floor in floors.items():
        value = summary.get(metric)
        if value is None or value < floor:
            shown = "n/a" if value is None else f"{value:.3f}"
            out.append(f"{metric} {shown} < floor {floor}")
    return out
