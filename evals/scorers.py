"""Deterministic scores of one answer against one turn's gold data, and their aggregates.

Each function answers one question about an answer; ``None`` means "does not apply" (no gold
sources, no citations…) and is left out of averages rather than counted as 0 or 1.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path

from assistant.retrieval.base import ArticleSource
from assistant.types import Answer, Citation
from evals.matching import any_contains, matches_groups
from evals.matching import missing_groups as matching_missing
from evals.suite import TurnSpec

_CHECKED_SUFFIXES = {".txt", ".md"}


def answer_text(answer: Answer) -> str:
    """What counts as the answer for ``answer_any``: its text and its quotes."""
    return "\n".join([answer.text, *(c.quote for c in answer.citations)])


def is_correct(spec: TurnSpec, answer: Answer) -> bool:
    """Answerable: not refused and one alternative of every group present. Else: refused."""
    if not spec.answerable:
        return answer.refused
    return not answer.refused and matches_groups(answer_text(answer), spec.answer_any)


def short_answer_right(spec: TurnSpec, answer: Answer) -> bool | None:
    """Whether the short answer leading ``answer`` holds the gold; None when there is none,
    the turn is unanswerable or its gold has more than one part (no span can hold all)."""
    span = answer.short_answer
    if span is None or answer.refused or not spec.answerable or len(spec.answer_any) != 1:
        return None
    return matches_groups(span.text, spec.answer_any)


def retrieved_articles(answer: Answer) -> list[str]:
    """Article ids of the evidence in rank order, each kept at its first (best) rank."""
    seen: list[str] = []
    for hit in sorted(answer.evidence, key=lambda h: h.rank):
        if hit.chunk.article_id not in seen:
            seen.append(hit.chunk.article_id)
    return seen


def recall_at_k(gold: Sequence[str], retrieved: Sequence[str], k: int) -> float | None:
    """Share of the gold articles among the first ``k`` retrieved articles."""
    if not gold:
        return None
    top = set(retrieved[:k])
    return sum(1 for g in set(gold) if g in top) / len(set(gold))


def hit_at_k(gold: Sequence[str], retrieved: Sequence[str], k: int) -> bool | None:
    """Whether any gold article is among the first ``k`` retrieved articles."""
    if not gold:
        return None
    return bool(set(gold) & set(retrieved[:k]))


def reciprocal_rank(gold: Sequence[str], retrieved: Sequence[str]) -> float | None:
    """1 / rank of the first gold article among the retrieved articles; 0 if none."""
    if not gold:
        return None
    for rank, article_id in enumerate(retrieved, start=1):
        if article_id in gold:
            return 1.0 / rank
    return 0.0


def evidence_hits(spec: TurnSpec, answer: Answer) -> tuple[bool | None, bool | None]:
    """Whether a gold fragment is in a cited quote, and whether it is in the retrieved text."""
    if not spec.evidence:
        return None, None
    cited = any_contains((c.quote for c in answer.citations), spec.evidence)
    retrieved = any_contains((h.chunk.text for h in answer.evidence), spec.evidence)
    return cited, retrieved


def citation_precision(gold: Sequence[str], citations: Sequence[Citation]) -> float | None:
    """Share of citations whose article is a gold source."""
    if not gold or not citations:
        return None
    return sum(1 for c in citations if c.article_id in gold) / len(citations)


class CitationChecker:
    """Checks that a quote is the article's own text at its offsets.

    The text comes from the assistant's article source and, when the article id names a
    .txt/.md file in one of ``corpus_dirs``, from the file itself (its bytes decoded as
    UTF-8, no newline translation): both must agree.
    """

    def __init__(self, source: ArticleSource, corpus_dirs: Iterable[Path] = ()) -> None:
        self._source = source
        self._dirs = [Path(d) for d in corpus_dirs]
        self._texts: dict[str, list[str | None]] = {}

    def texts(self, article_id: str) -> list[str | None]:
        """The source's text first, then the text of each matching corpus file."""
        if article_id not in self._texts:
            found: list[str | None] = [self._source.article_text(article_id)]
            for folder in self._dirs:
                path = folder / article_id
                if path.suffix.lower() in _CHECKED_SUFFIXES and path.is_file():
                    found.append(path.read_bytes().decode("utf-8", errors="replace"))
            self._texts[article_id] = found
        return self._texts[article_id]

    def article_text(self, article_id: str) -> str | None:
        """The article's text from the source, else from a corpus file."""
        return next((t for t in self.texts(article_id) if t is not None), None)

    def problem(self, citation: Citation) -> str:
        """Why ``citation`` is invalid, or "" when every text agrees with it."""
        texts = self.texts(citation.article_id)
        if texts[0] is None:
            return f"the source has no article {citation.article_id!r}"
        if not (0 <= citation.start <= citation.end):
            return f"bad offsets {citation.start}:{citation.end}"
        for text in texts:
            if text is not None and text[citation.start : citation.end] != citation.quote:
                return f"text at {citation.start}:{citation.end} differs from the quote"
        return ""


def refusal_scores(pairs: Iterable[tuple[bool, bool]]) -> tuple[float | None, float | None]:
    """Precision and recall of refusing; pairs are (should refuse, refused)."""
    tp = fp = fn = 0
    for should, did in pairs:
        tp += should and did
        fp += did and not should
        fn += should and not did
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    return precision, recall


def mean(values: Iterable[float | bool | None]) -> float | None:
    """Mean of the values that apply (not None); None when none do."""
    kept = [float(v) for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def perspectives_missing(spec: TurnSpec, answer: Answer) -> list[str] | None:
    """The outlets of ``spec.perspectives`` whose block is absent or lacks its groups (a name
    matches a block whose label contains it, case-insensitively); None when none are asked."""
    if not spec.perspectives:
        return None
    blocks = answer.perspectives or []
    missing = []
    for name, groups in spec.perspectives:
        quotes = [
            "\n".join(c.quote for c in b.citations)
            for b in blocks
            if name.casefold() in b.label().casefold()
        ]
        if not any(matches_groups(q, groups) for q in quotes):
            missing.append(name)
    return missing


def missing_groups(spec: TurnSpec, answer: Answer) -> list[list[str]]:
    """The ``answer_any`` groups the answer lacks: what to look at when it fails."""
    return matching_missing(answer_text(answer), spec.answer_any)
