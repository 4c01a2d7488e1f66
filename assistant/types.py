"""Plain data shared by every layer: articles, chunks, hits, citations and answers.

Offsets are character offsets into the article's text: the file's bytes decoded as UTF-8
with no newline translation (for HTML, the text trafilatura extracted). For every chunk
and every citation, ``article_text[start:end] == text``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Article:
    """One source document. Empty strings mean "not found in the article", never a guess."""

    id: str
    path: str
    title: str = ""
    outlet: str = ""
    published: str = ""
    updated: str = ""
    byline: str = ""
    content_hash: str = ""
    url: str = ""
    """Where it was fetched from (a web page, a feed entry, a dump's record); "" for files."""
    date_kind: str = ""
    date_label: str = ""
    date_lo: str = ""
    date_hi: str = ""
    date_quote: str = ""
    date_quote_start: int = -1

    @property
    def date(self) -> str:
        """The date a reader should see: published, else updated."""
        return self.published or self.updated

    def date_text(self) -> str:
        """How sure the date is, in words (``assistant.text.dates.article_date`` fills it)."""
        if self.date_label:
            return self.date_label
        if self.published:
            return self.published[:10]
        if self.updated:
            return f"updated {self.updated[:10]}; first publication date unknown"
        return "undated"

    def label(self) -> str:
        """``Outlet, "Title", date`` with explicit placeholders for what is unknown."""
        outlet = self.outlet or "unknown outlet"
        title = self.title or self.id
        return f'{outlet}, "{title}", {self.date_text()}'

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Chunk:
    """A contiguous slice ``[start, end)`` of one article's text, with that article's metadata."""

    id: str
    article_id: str
    index: int
    text: str
    start: int
    end: int
    title: str = ""
    outlet: str = ""
    published: str = ""

    def metadata(self) -> dict[str, str | int]:
        """Flat metadata for vector stores (no None values: Chroma rejects them)."""
        return {
            "article_id": self.article_id,
            "index": self.index,
            "start": self.start,
            "end": self.end,
            "title": self.title,
            "outlet": self.outlet,
            "published": self.published,
        }

    @classmethod
    def from_metadata(cls, chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
        return cls(
            id=chunk_id,
            article_id=str(meta["article_id"]),
            index=int(meta["index"]),
            text=text,
            start=int(meta["start"]),
            end=int(meta["end"]),
            title=str(meta.get("title", "")),
            outlet=str(meta.get("outlet", "")),
            published=str(meta.get("published", "")),
        )


def chunk_id(article_id: str, index: int) -> str:
    """Stable id: the same article and position always give the same id."""
    return f"{article_id}#{index:04d}"


@dataclass(frozen=True, slots=True)
class Filters:
    """Optional restrictions on retrieval. Dates are ISO ``YYYY-MM-DD``; bounds are inclusive.

    ``as_of`` restricts nothing: it is "today" for a question's relative time words ("this
    week", "latest"); empty means the newest article's date. ``include_inferred`` lets the
    date bounds also take undated articles whose text suggests a date in them (and articles
    known only by an update date that could be in them); the answering service applies it.
    """

    outlets: tuple[str, ...] = ()
    since: str = ""
    until: str = ""
    as_of: str = ""
    include_inferred: bool = False

    def is_empty(self) -> bool:
        return not (self.outlets or self.since or self.until)

    def accepts(self, chunk: Chunk) -> bool:
        """Undated chunks never pass a date bound: a bound asks for dated evidence."""
        if self.outlets and chunk.outlet.casefold() not in {o.casefold() for o in self.outlets}:
            return False
        day = chunk.published[:10]
        if self.since and (not day or day < self.since):
            return False
        return not (self.until and (not day or day > self.until))


@dataclass(frozen=True, slots=True)
class Hit:
    """A retrieved chunk; ``rank`` is 1-based, ``score`` is the fused score (higher is better).
    ``similarity`` is the question's cosine to the chunk's vector when a dense stage ran (for a
    chunk only BM25 found, the lowest cosine the dense stage returned: its own is no higher);
    ``None`` when no dense stage ran."""

    chunk: Chunk
    score: float
    rank: int
    similarity: float | None = None

    def to_dict(self) -> dict[str, Any]:
        c = self.chunk
        return {
            "chunk_id": c.id,
            "article_id": c.article_id,
            "start": c.start,
            "end": c.end,
            "text": c.text,
            "title": c.title,
            "outlet": c.outlet,
            "published": c.published,
            "score": self.score,
            "rank": self.rank,
            "similarity": self.similarity,
        }


@dataclass(frozen=True, slots=True)
class Citation:
    """A verified quote: ``article_text[start:end] == quote``. ``n`` is its marker, [n]."""

    n: int
    quote: str
    article_id: str
    start: int
    end: int
    title: str = ""
    outlet: str = ""
    published: str = ""
    chunk_id: str = ""
    updated: str = ""
    url: str = ""
    date_kind: str = ""
    date_label: str = ""
    speaker: str = ""

    def label(self) -> str:
        outlet = self.outlet or "unknown outlet"
        title = self.title or self.article_id
        return f'{outlet}, "{title}", {self.date_text()}'

    def date_text(self) -> str:
        """How sure the date is, in words: the label ingest gave, else the stated date."""
        if self.date_label:
            return self.date_label
        if self.published:
            return self.published[:10]
        if self.updated:
            return f"updated {self.updated[:10]}; first publication date unknown"
        return "undated"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Span:
    """The short answer (a name, date, number, place) inside citation ``n``'s quote.

    Located and verified like a quote: ``article_text[start:end] == text``.
    """

    text: str
    citation: int
    article_id: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Perspective:
    """One outlet's own words on the question: its verified quotes (also in
    ``Answer.citations``, same markers), who they are attributed to, and its date labels.

    An article without a known outlet is its own block, labelled by its title.
    """

    outlet: str
    title: str
    date_text: str
    citations: tuple[Citation, ...]

    def label(self) -> str:
        return self.outlet or f'unknown outlet ("{self.title}")'

    def speakers(self) -> list[str]:
        return list(dict.fromkeys(c.speaker for c in self.citations if c.speaker))

    def to_dict(self) -> dict[str, Any]:
        return {
            "outlet": self.outlet,
            "title": self.title,
            "label": self.label(),
            "date": self.date_text,
            "speakers": self.speakers(),
            "citations": [c.to_dict() for c in self.citations],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Perspective:
        return cls(
            outlet=data.get("outlet", ""),
            title=data.get("title", ""),
            date_text=data.get("date", ""),
            citations=tuple(Citation(**c) for c in data.get("citations", [])),
        )


@dataclass(frozen=True, slots=True)
class Unverified:
    """A quote or citation a model produced that could not be found in the evidence."""

    quote: str
    passage: int | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Turn:
    """One earlier exchange of a conversation, as answerers and rewriters need it."""

    question: str
    answer: str
    standalone: str = ""


@dataclass
class Answer:
    """The result of one question. ``text`` carries markers [n] matching ``citations``."""

    question: str
    text: str = ""
    citations: list[Citation] = field(default_factory=list)
    refused: bool = False
    refusal_reason: str = ""
    standalone_question: str = ""
    evidence: list[Hit] = field(default_factory=list)
    unverified: list[Unverified] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    backend: str = ""
    model: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    stopped: bool = False
    short_answer: Span | None = None
    confidence: float | None = None
    perspectives: list[Perspective] | None = None

    SCHEMA_VERSION = 1

    def inline_quotes(self) -> set[int]:
        """Markers whose quote the answer text already shows: renderers print those once."""
        return {c.n for c in self.citations if c.quote and c.quote in self.text}

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON of ``assistant ask --json``, documented in docs/answer-json.md."""
        return {
            "schema_version": self.SCHEMA_VERSION,
            "question": self.question,
            "standalone_question": self.standalone_question or self.question,
            "answer": self.text,
            "refused": self.refused,
            "refusal_reason": self.refusal_reason,
            "citations": [c.to_dict() for c in self.citations],
            "unverified": [u.to_dict() for u in self.unverified],
            "notes": list(self.notes),
            "evidence": [h.to_dict() for h in self.evidence],
            "backend": self.backend,
            "model": self.model,
            "timings": dict(self.timings),
            "stopped": self.stopped,
            "short_answer": self.short_answer.to_dict() if self.short_answer else None,
            "confidence": self.confidence,
            "perspectives": (
                None if self.perspectives is None else [p.to_dict() for p in self.perspectives]
            ),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answer:
        """Inverse of ``to_dict`` for what sessions store (evidence is not kept)."""
        return cls(
            question=data["question"],
            text=data.get("answer", ""),
            citations=[Citation(**c) for c in data.get("citations", [])],
            refused=bool(data.get("refused", False)),
            refusal_reason=data.get("refusal_reason", ""),
            standalone_question=data.get("standalone_question", ""),
            unverified=[Unverified(**u) for u in data.get("unverified", [])],
            notes=list(data.get("notes", [])),
            backend=data.get("backend", ""),
            model=data.get("model", ""),
            timings=dict(data.get("timings", {})),
            stopped=bool(data.get("stopped", False)),
            short_answer=Span(**data["short_answer"]) if data.get("short_answer") else None,
            confidence=data.get("confidence"),
            perspectives=(
                None
                if data.get("perspectives") is None
                else [Perspective.from_dict(p) for p in data["perspectives"]]
            ),
        )
