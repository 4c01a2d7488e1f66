"""Runs suites on their own corpora: one index per corpus, built once and reused by every backend.

The report (`evals/report_all.py`) and the RealTime QA gate (`tests/test_realtimeqa_eval.py`)
both need "ingest this folder into a fresh index, then ask this suite with that backend".
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from evals.results import CaseResult, RunReport, summarize
from evals.suite import Case, load_suites

REPO = Path(__file__).resolve().parent.parent
DATASET_ENV = "ASSISTANT_REALTIMEQA_DIR"


def find_realtimeqa(repo: Path = REPO) -> Path | None:
    """The RealTime QA folder: ``$ASSISTANT_REALTIMEQA_DIR`` when set, else
    ``shared/datasets/realtimeqa`` beside the clone (``<repo>/../shared``) or beside the folder
    holding it (``<repo>/../../shared``, for worktrees); None when there is none."""
    given = os.environ.get(DATASET_ENV)
    if given:
        candidates = [Path(given)]
    else:
        candidates = [
            p / "shared" / "datasets" / "realtimeqa" for p in (repo.parent, repo.parent.parent)
        ]
    for folder in candidates:
        if any(folder.glob("*_qa.jsonl")):
            return folder
    return None


class Workspace:
    """Data dirs under ``root``, one per corpus name; the embedding model is converted once."""

    def __init__(self, root: Path, status: Callable[[str], None] | None = None) -> None:
        self.root = root
        self.status = status or (lambda message: None)
        self.models = root / "models"

    def settings(self, name: str, **overrides: Any) -> Any:
        from assistant.settings import load_settings

        return load_settings(data_dir=self.root / name, model_cache_dir=self.models, **overrides)

    def index(self, name: str, corpus: Path) -> Path:
        """Ingest ``corpus`` into the data dir ``name`` (unchanged files are skipped)."""
        from assistant.retrieval.indexer import sync

        settings = self.settings(name)
        self.status(f"ingesting {corpus} into {settings.data_dir}")
        report = sync([corpus], settings)
        if report.failed:
            self.status(f"{name}: {len(report.failed)} files failed: {report.failed[:3]}")
        return settings.data_dir  # type: ignore[no-any-return]

    def run(
        self,
        name: str,
        corpus: Path,
        suites: Sequence[Path],
        backend: str,
        *,
        k: int | None = None,
        cases: Sequence[Case] | None = None,
    ) -> RunReport:
        """``suites`` (or ``cases``) asked of ``backend`` over the index ``name``."""
        from assistant.answer.service import Assistant
        from evals.runner import run_cases

        settings = self.settings(name, answer={"backend": backend})
        assistant = Assistant.from_settings(settings)
        chosen = list(cases) if cases is not None else load_suites(suites)
        return run_cases(
            chosen, assistant, suites=[str(s) for s in suites], k=k, corpus_dirs=[corpus]
        )


def merged_summary(reports: Sequence[RunReport]) -> dict[str, Any]:
    """One summary over the cases of several runs (e.g. the four dev weeks together)."""
    cases: list[CaseResult] = [c for r in reports for c in r.cases]
    return summarize(cases)
