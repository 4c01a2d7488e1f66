"""What a run produces: per-turn and per-case results, the summary, and their JSON form."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from evals.scorers import mean, percentile, refusal_scores

SCHEMA_VERSION = 1
STAGES = ("dense", "bm25", "fused")  # retrieval stages measured apart when the retriever can

# Summary metrics where higher is better: the baseline gate watches these for drops.
GATED_METRICS = (
    "pass_rate",
    "correctness",
    "answer_correctness",
    "refusal_precision",
    "refusal_recall",
    "recall_at_k",
    "mrr",
    "evidence_cited",
    "evidence_retrieved",
    "citation_validity",
    "citation_precision",
    "perspectives",
)


@dataclass
class TurnResult:
    """One asked question: the answer as given and every score of it."""

    question: str
    answerable: bool
    expected: list[list[str]] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    answer: str = ""
    refused: bool = False
    refusal_reason: str = ""
    standalone_question: str = ""
    citations: list[dict[str, Any]] = field(default_factory=list)
    retrieved: list[str] = field(default_factory=list)
    correct: bool = False
    missing: list[list[str]] = field(default_factory=list)
    recall_at_k: float | None = None
    gold_hit_at_k: bool | None = None
    stage_hit_at_k: dict[str, bool] = field(default_factory=dict)
    mrr: float | None = None
    evidence_cited: bool | None = None
    evidence_retrieved: bool | None = None
    citation_validity: float | None = None
    citation_precision: float | None = None
    latency_s: float = 0.0
    error: str = ""
    judge: float | None = None
    judge_note: str = ""
    perspectives: float | None = None  # share of the expected outlets whose block matched
    perspectives_missing: list[str] = field(default_factory=list)
    short_answer: str = ""  # the span the answer leads with, if any
    short_answer_right: bool | None = None  # it holds the gold (one-part gold only)

    @property
    def invalid_citations(self) -> int:
        return sum(1 for c in self.citations if not c.get("valid", False))

    @property
    def passed(self) -> bool:
        """Correct, every shown quote verified, every expected outlet's block right, no error."""
        return (
            self.correct
            and not self.error
            and self.invalid_citations == 0
            and self.perspectives in (None, 1.0)
        )

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed}


@dataclass
class CaseResult:
    id: str
    file: str
    tags: list[str]
    conversation: bool
    turns: list[TurnResult]

    @property
    def passed(self) -> bool:
        return all(t.passed for t in self.turns)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "file": self.file,
            "tags": self.tags,
            "conversation": self.conversation,
            "passed": self.passed,
            "turns": [t.to_dict() for t in self.turns],
        }


def summarize(cases: list[CaseResult]) -> dict[str, Any]:
    """The run's headline numbers; see evals/README.md for each definition."""
    turns = [t for c in cases for t in c.turns]
    answerable = [t for t in turns if t.answerable]
    precision, recall = refusal_scores((not t.answerable, t.refused) for t in turns if not t.error)
    cites = [c for t in turns for c in t.citations]
    gold_cites = [c for t in answerable if t.sources for c in t.citations]
    latencies = [t.latency_s for t in turns if not t.error]
    return {
        "cases": len(cases),
        "turns": len(turns),
        "passed_cases": sum(c.passed for c in cases),
        "pass_rate": mean(c.passed for c in cases),
        "correctness": mean(t.correct for t in turns),
        "answer_correctness": mean(t.correct for t in answerable),
        "refusal_precision": precision,
        "refusal_recall": recall,
        "recall_at_k": mean(t.recall_at_k for t in turns),
        "gold_hit_at_k": mean(t.gold_hit_at_k for t in turns),
        **{
            f"{stage}_hit_at_k": mean(t.stage_hit_at_k.get(stage) for t in turns)
            for stage in STAGES
        },
        "mrr": mean(t.mrr for t in turns),
        "evidence_cited": mean(t.evidence_cited for t in turns),
        "evidence_retrieved": mean(t.evidence_retrieved for t in turns),
        "citations": len(cites),
        "invalid_citations": sum(1 for c in cites if not c.get("valid", False)),
        "citation_validity": mean(c.get("valid", False) for c in cites),
        "citation_precision": mean(c.get("gold", False) for c in gold_cites),
        "perspectives": mean(t.perspectives for t in turns),
        "short_answer_shown": mean(
            bool(t.short_answer) for t in answerable if not t.refused and len(t.expected) == 1
        ),
        "short_answer_right": mean(t.short_answer_right for t in answerable),
        "errors": sum(1 for t in turns if t.error),
        "latency_p50_s": percentile(latencies, 50),
        "latency_p95_s": percentile(latencies, 95),
    }


def summarize_judge(cases: list[CaseResult], model: str) -> dict[str, Any]:
    """The experimental LLM-judged faithfulness, kept apart from the deterministic numbers."""
    turns = [t for c in cases for t in c.turns if t.citations]
    return {
        "experimental": True,
        "model": model,
        "faithfulness": mean(t.judge for t in turns),
        "judged_turns": sum(1 for t in turns if t.judge is not None),
        "unjudged_turns": sum(1 for t in turns if t.judge is None),
    }


@dataclass
class RunReport:
    """Everything about one run, enough to reproduce and compare it."""

    suites: list[str]
    cases: list[CaseResult]
    backend: str = ""
    model: str = ""
    k: int = 0
    index: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    started: str = ""
    duration_s: float = 0.0
    judge: dict[str, Any] | None = None

    @property
    def summary(self) -> dict[str, Any]:
        return summarize(self.cases)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "suites": self.suites,
            "started": self.started,
            "duration_s": self.duration_s,
            "backend": self.backend,
            "model": self.model,
            "k": self.k,
            "index": self.index,
            "versions": self.versions,
            "settings": self.settings,
            "summary": self.summary,
            "judge": self.judge,
            "cases": [c.to_dict() for c in self.cases],
        }
