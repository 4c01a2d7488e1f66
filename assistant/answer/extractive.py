"""The default answerer: no model, deterministic, offline.

It scores the sentences (and pairs of adjacent sentences) of the retrieved passages against
the question, keeps the best few — no near-duplicates, another outlet when one frames it too —
and quotes them verbatim at their offsets. It refuses unless the evidence covers the question:
every name and number the question asks about must occur in one article, near the quote;
the person whose words are asked for must be speaking there; and the quote must hold enough of
the question's other words. That is what makes "What did John Kerry say about Taiwan?" a
refusal although both names occur in the articles.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence

from assistant.answer.base import (
    near_duplicate,
    quote_citation,
    quoted_text,
    refusal,
    source_label,
)
from assistant.answer.candidates import Candidate, Pool, candidates
from assistant.answer.events import Event, replay
from assistant.answer.text import (
    SPEECH_CUES,
    SPEECH_VERBS,
    Query,
    analyse,
    mentions,
    normalize,
    speaks,
    stem,
    term_set,
    words,
)
from assistant.ingest.layout import date_line
from assistant.ingest.loaders import kind_of
from assistant.retrieval.base import ArticleSource
from assistant.settings import Settings
from assistant.types import Answer, Hit, Turn

NEAR = 1  # sentences either side in which the question's main name must occur
SAME_PASSAGE = 6  # sentences either side in which its other names must occur
MIN_COVERAGE = 0.45  # share of the question's weighted words the best quote must hold
MIN_CONTENT = 0.3  # ...and of its words other than names: a name alone answers nothing
ATTRIBUTED = 0.15  # bonus when the question's speaker is the subject of the speech verb
PAIR_PENALTY = 0.9  # a two-sentence quote must earn its length
_ANSWER_CUES = {
    "where": re.compile(r"\b(?:in|at|to)\s+[A-Z]"),
    "when": re.compile(
        r"\b(?:\d{4}|January|February|March|April|May|June|July|August|September|October|"
        r"November|December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|"
        r"yesterday|today|last (?:week|month|year)|next (?:week|month|year))\b"
    ),
    "how_many": re.compile(r"\b(?:\d+|two|three|four|five|six|seven|eight|nine|ten|dozens?)\b"),
    "how_much": re.compile(r"\b\d+"),
    "who": re.compile(r"\b[A-Z][a-z]+\s+[A-Z][a-z]+"),
}
_COUNTED = re.compile(r"^how many\s+([a-z’'-]+)", re.IGNORECASE)
_QUANTITY = re.compile(
    r"\b(?:\d[\d,.]*(?:st|nd|rd|th)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|"
    r"twelve|dozens?|hundreds?|thousands?|millions?|billions?|twice|once)\b",
    re.IGNORECASE,
)
_ROLE_QUESTION = re.compile(
    r"^(?:where does .+ work|what (?:post|position|title|role|job|office) does .+ hold|"
    r"who is .+|what is .+['’]s (?:job|post|position|title|role))",
    re.IGNORECASE,
)
_TITLES = (
    r"(?:Minister|Secretary(?: of State)?|Director|President|Premier|Councilor|Ambassador|"
    r"spokes(?:man|woman|person)|Envoy(?: for Climate)?|Chairman|professor|fellow|Councillor)"
)
_DATE_QUESTION = re.compile(
    r"\b(?:when|what date|which date|what day)\b.*\b(?:published|updated|posted|dated|written|"
    r"released|issued)\b",
    re.IGNORECASE,
)


class ExtractiveAnswerer:
    """Answers with the articles' own sentences; see the module docstring."""

    name = "extractive"
    model = "sentence-scoring-v2"

    def __init__(self, settings: Settings | None = None, max_quotes: int | None = None) -> None:
        configured = settings.answer.max_quotes if settings else 3
        self.max_quotes = max_quotes or configured

    def stream(
        self,
        question: str,
        hits: Sequence[Hit],
        source: ArticleSource,
        history: Sequence[Turn] = (),
    ) -> Iterator[Event]:
        yield from replay(self.answer(question, hits, source))

    def answer(self, question: str, hits: Sequence[Hit], source: ArticleSource) -> Answer:
        query = analyse(question, {h.chunk.outlet for h in hits if h.chunk.outlet})
        if _DATE_QUESTION.search(question):
            return self._date_answer(question, query, hits, source)
        pool = candidates(hits, source)
        if not pool.items:
            return self._refuse(question, "No passage in the index matches the question.")
        reason = _missing(query, pool.article_texts())
        if reason:
            return self._refuse(question, reason)
        grounded = [c for c in pool.items if _grounded(query, c, pool)]
        if not grounded:
            return self._refuse(question, _apart_reason(query))
        named = term_set(" ".join(query.names + query.numbers))
        for c in grounded:  # the names are nearby ("..., he added."): credit them
            c.terms = c.terms | named
        _score(query, pool.items)
        if query.speaker:  # the person asked about is the one speaking, not merely nearby
            for c in grounded:
                if speaks(c.text, query.speaker, before=pool.previous(c)):
                    c.score += ATTRIBUTED
        if _ROLE_QUESTION.match(query.text) and query.names:
            _favour_roles(query.names[0], grounded)
        best = max(grounded, key=lambda c: c.score)
        if best.coverage < MIN_COVERAGE or best.content < MIN_CONTENT:
            return self._refuse(
                question, "The passages found share too few of the question's words to answer it."
            )
        return self._compose(question, _select(best, grounded, self.max_quotes))

    def _refuse(self, question: str, reason: str) -> Answer:
        return refusal(question, reason, self.name, self.model)

    def _date_answer(
        self, question: str, query: Query, hits: Sequence[Hit], source: ArticleSource
    ) -> Answer:
        """"When was the article … published?" is answered from the article's own date line."""
        wanted = set(query.terms)
        asked = question.lower()

        def fit(h: Hit) -> tuple[bool, int, int]:
            named = bool(h.chunk.outlet) and h.chunk.outlet.lower() in asked
            return (not named, -len(wanted & term_set(h.chunk.title + " " + h.chunk.text)), h.rank)

        ranked = sorted(hits, key=fit)
        for hit in ranked[:1]:
            text = source.article_text(hit.chunk.article_id) or ""
            line = date_line(text, kind_of(hit.chunk.article_id))
            if line is None:
                return self._refuse(question, "The article found does not carry a date line.")
            quote = Candidate.from_span(hit, text, line.start, line.end)
            answer = self._compose(question, [quote])
            answer.text = f"{source_label(hit)} is dated as follows: “{quote.text}” [1]"
            return answer
        return self._refuse(question, "No article in the index matches the question.")

    def _compose(self, question: str, chosen: list[Candidate]) -> Answer:
        citations = [
            quote_citation(n, c.hit, c.start, c.end, c.text) for n, c in enumerate(chosen, 1)
        ]
        return Answer(
            question=question,
            text=quoted_text(citations, [c.hit for c in chosen]),
            citations=citations,
            backend=self.name,
            model=self.model,
        )


def _missing(query: Query, texts: dict[str, str]) -> str:
    """A refusal reason when a name or number of the question occurs in no retrieved article."""
    for name in query.names:
        if not any(mentions(t, name) for t in texts.values()):
            return f"They don't mention {name}."
    for number in query.numbers:
        if not any(_has_number(t, number) for t in texts.values()):
            return f"They don't mention {number}."
    return ""


def _has_number(text: str, number: str) -> bool:
    return re.search(rf"(?<![\w]){re.escape(number)}(?![\w])", text, re.IGNORECASE) is not None


def _apart_reason(query: Query) -> str:
    asked = query.names + query.numbers
    if len(asked) >= 2:
        listed = ", ".join(asked[:-1]) + f" and {asked[-1]}"
        return f"They mention {listed}, but never together."
    return "No passage says what the question asks about."


def _grounded(query: Query, c: Candidate, pool: Pool) -> bool:
    """The question's names and numbers occur around ``c``: the main one within NEAR
    sentences, the others within SAME_PASSAGE; a speaker asked about is speaking; a count
    asked for sits next to what is counted."""
    near = pool.window(c, NEAR)
    passage = pool.window(c, SAME_PASSAGE)
    article = pool.article(c.article_id)
    main, *others = query.names or [""]
    if main and not mentions(near, main, article):
        return False
    if not all(mentions(passage, name, article) for name in others):
        return False
    if not all(_has_number(passage, n) for n in query.numbers):
        return False
    return _speaks(query, c, pool.previous(c), article) and _counts(query, c)


def _speaks(query: Query, c: Candidate, previous: str, article: str) -> bool:
    """"What did X say…" needs X speaking: a speech cue in the quote and X named in it or in
    the sentence before ("…, he added.")."""
    if not query.speaker or not SPEECH_VERBS & {stem(w) for w in words(query.text)}:
        return True
    return SPEECH_CUES.search(c.text) is not None and (
        mentions(normalize(c.text), query.speaker, article)
        or mentions(previous, query.speaker, article)
    )


def _counts(query: Query, c: Candidate) -> bool:
    """"How many X…" needs a quote that names X next to a quantity, and everything else the
    question names in the same quote."""
    match = _COUNTED.match(query.text)
    if not match:
        return True
    if c.pair or not all(mentions(c.text, n) for n in query.names[1:]):
        return False
    return stem(match.group(1)) in c.terms and _QUANTITY.search(c.text) is not None


def _score(query: Query, pool: list[Candidate]) -> None:
    """Weighted coverage of the question's words (IDF over the candidates; a word no candidate
    has counts half), a little for the kind of answer asked for and for retrieval rank, and a
    little against length so that long sentences don't win by matching by chance."""
    q_terms = {t for t in term_set(query.text) if t}
    df = Counter(t for c in pool for t in c.terms & q_terms)
    n = len(pool)
    weight = {t: math.log(1 + (n + 1) / (df.get(t, 0) + 0.5)) for t in q_terms}
    for t in q_terms - df.keys():
        weight[t] *= 0.5
    total = sum(weight.values()) or 1.0
    named = term_set(" ".join(query.names + query.numbers))
    content_total = sum(w for t, w in weight.items() if t not in named)
    cue = _ANSWER_CUES.get(query.kind)
    mean_len = sum(c.length for c in pool) / n if n else 1.0
    for c in pool:
        c.coverage = sum(w for t, w in weight.items() if t in c.terms) / total
        content = sum(w for t, w in weight.items() if t in c.terms and t not in named)
        c.content = content / content_total if content_total else c.coverage
        bonus = 0.08 if cue is not None and cue.search(c.text) else 0.0
        length = 1 / (1 + 0.1 * max(0.0, c.length / mean_len - 1))
        c.score = (c.coverage * length + bonus + 0.03 / c.hit.rank) * (
            PAIR_PENALTY if c.pair else 1.0
        )


def _favour_roles(name: str, pool: list[Candidate]) -> None:
    """"Where does X work / what post does X hold": the quote that gives X's title — an
    apposition ("X, a research fellow at …") or a title before the name — answers it."""
    last = re.escape(name.split()[-1])
    apposition = re.compile(rf"\b{last}\s*,\s*(?:a|an|the|who is|director|member|head)\b")
    titled = re.compile(rf"{_TITLES}\s+(?:[A-Z][\w’'-]*\s+){{0,2}}{last}\b")
    for c in pool:
        if c.pair or not (apposition.search(c.text) or titled.search(c.text)):
            continue
        c.terms = c.terms | {"@role"}
        c.coverage = c.content = 1.0
        c.score = 2.0 + 0.03 / c.hit.rank  # above any score a word match can reach


def _select(best: Candidate, pool: list[Candidate], limit: int) -> list[Candidate]:
    """The best quote, then strong ones that add something: another outlet's framing or
    words the chosen ones lack; never an overlapping or near-duplicate one."""
    chosen = [best]
    for c in sorted(pool, key=lambda x: -x.score):
        if len(chosen) >= limit:
            break
        if c.score < 0.8 * best.score or c.coverage < MIN_COVERAGE:
            continue
        if c.content < 0.8 * best.content or any(near_duplicate(c, o) for o in chosen):
            continue
        chosen.append(c)
    return chosen


