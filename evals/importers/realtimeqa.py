"""RealTime QA weeks → one Markdown corpus folder and one eval suite per week.

The raw files (``YYYYMMDD_qa.jsonl`` quiz questions, ``YYYYMMDD_gcs.jsonl`` search results)
are described in the dataset's README. A week's corpus is every unique article its search
returned; its suite asks the questions whose gold answer occurs in one of those articles, and
as refusals a deterministic sample of questions of *other weeks of the same split* whose gold
is absent from all of them (so a dev suite never holds a report-week question, and back).

Everything is deterministic: the same input gives byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

DEV_WEEKS = ("20220715", "20220916", "20221111", "20230106")
REPORT_WEEKS = ("20230310", "20230512", "20230714", "20231006")
REFUSAL_SHARE = 3  # about one refusal per three answerable questions
# A true/false quiz item's gold is a judgement, not words an article can be quoted for.
_JUDGEMENTS = {"true", "false", "yes", "no"}

SPLIT_NOTE = (
    "Split by week. dev (fitting) weeks: "
    + ", ".join(DEV_WEEKS)
    + "; report weeks: "
    + ", ".join(REPORT_WEEKS)
    + ". Fit and tune only on dev weeks; report weeks are run to record numbers, never to"
    " inspect failures."
)


class ImportProblem(ValueError):
    """The dataset folder cannot be converted; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    week: str
    date: str  # ISO YYYY-MM-DD
    source: str
    sentence: str
    gold: str
    results: tuple[str, ...] = ()  # ids of the articles its own search returned


@dataclass(frozen=True, slots=True)
class Doc:
    """One unique article of a week's search results."""

    id: str  # the file name: <hash of the URL>.md
    url: str
    title: str
    outlet: str
    published: str
    byline: str
    text: str


@dataclass
class Week:
    name: str
    questions: list[Question] = field(default_factory=list)
    docs: list[Doc] = field(default_factory=list)

    @property
    def split(self) -> str:
        return split_of(self.name)


# --- normalisation and matching ----------------------------------------------------------

_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalise(text: str) -> str:
    """SQuAD's answer normalisation (lowercase, no punctuation or articles, folded spaces),
    with Unicode punctuation (curly quotes, dashes) removed too, after NFKC."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(ch for ch in text if not _is_punctuation(ch))
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def _is_punctuation(ch: str) -> bool:
    return ch in string.punctuation or unicodedata.category(ch).startswith("P")


def occurs(gold_norm: str, text_norm: str) -> bool:
    """Whole-word containment of normalised text in normalised text."""
    return bool(gold_norm) and f" {gold_norm} " in f" {text_norm} "


_SMALL_NUMBERS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
    " fifteen sixteen seventeen eighteen nineteen twenty"
).split()


def answer_alternatives(gold: str) -> list[str]:
    """The gold as written, without surrounding quotes, and normalised; a small whole number
    also the way news prose spells it ("9" and "nine"); each once."""
    out: list[str] = []
    norm = normalise(gold)
    spelled = []
    if norm.isdigit() and int(norm) < len(_SMALL_NUMBERS):
        spelled = [_SMALL_NUMBERS[int(norm)]]
    elif norm in _SMALL_NUMBERS:
        spelled = [str(_SMALL_NUMBERS.index(norm))]
    for alt in (gold.strip(), gold.strip().strip("\"'“”‘’ "), norm, *spelled):
        if alt and alt.casefold() not in {o.casefold() for o in out}:
            out.append(alt)
    return out


# --- reading the raw files -----------------------------------------------------------------


def split_of(week: str) -> str:
    if week in DEV_WEEKS:
        return "dev"
    if week in REPORT_WEEKS:
        return "report"
    return "other"


def available_weeks(directory: Path) -> list[str]:
    weeks = sorted(p.name[:8] for p in directory.glob("*_qa.jsonl"))
    return [w for w in weeks if (directory / f"{w}_gcs.jsonl").is_file()]


def iso_date(raw: str) -> str:
    """``2023/05/11`` or ``2023-05-11`` (optionally with a time) → ``2023-05-11``; else ""."""
    found = re.match(r"\s*(\d{4})[/-](\d{2})[/-](\d{2})", raw or "")
    return "-".join(found.groups()) if found else ""


def outlet_of(url: str) -> str:
    """A readable outlet name from the URL's host: ``www.usatoday.com`` → ``usatoday.com``."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def doc_id(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16] + ".md"


def byline_of(authors: Iterable[Any]) -> str:
    """Scraped author names, each once; a string that only runs others together is dropped."""
    names: list[str] = []
    for raw in authors or ():
        name = " ".join(str(raw).split())
        if name and name not in names:
            names.append(name)
    kept = [n for n in names if not _runs_others_together(n, names)]
    return ", ".join(kept)


def _runs_others_together(name: str, names: Sequence[str]) -> bool:
    parts = [o for o in names if o != name and f" {o} " in f" {name} "]
    return len(parts) >= 2


def _jsonl(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise ImportProblem(f"cannot read {path}: {err.strerror or err}") from None
    out = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError as err:
            raise ImportProblem(f"{path}:{n}: not JSON ({err.msg})") from None
    return out


def read_week(directory: Path, week: str) -> Week:
    """The week's questions (with their gold text) and its deduplicated articles."""
    qa = _jsonl(directory / f"{week}_qa.jsonl")
    gcs = _jsonl(directory / f"{week}_gcs.jsonl")
    result = Week(week)
    for item in qa:
        choices, answer = item.get("choices") or [], item.get("answer") or []
        try:
            gold = str(choices[int(answer[0])])
        except (IndexError, ValueError, TypeError):
            raise ImportProblem(f"{week}: {item.get('question_id')}: no usable answer") from None
        result.questions.append(
            Question(
                id=str(item["question_id"]),
                week=week,
                date=iso_date(str(item.get("question_date", ""))),
                source=str(item.get("question_source", "")),
                sentence=" ".join(str(item.get("question_sentence", "")).split()),
                gold=gold,
            )
        )
    by_url: dict[str, str] = {}
    by_text: dict[str, str] = {}
    returned: dict[str, list[str]] = {}
    for line in gcs:
        ids = returned.setdefault(str(line.get("question_id", "")), [])
        for hit in line.get("search_result") or []:
            url = str(hit.get("url") or "")
            text = str(hit.get("text") or "").strip()
            if not url or not text:
                continue
            known = by_url.get(url) or by_text.get(text)
            if known:
                ids.append(known)
                continue
            by_url[url] = by_text[text] = doc_id(url)
            ids.append(doc_id(url))
            result.docs.append(
                Doc(
                    id=doc_id(url),
                    url=url,
                    title=" ".join(str(hit.get("title") or "").split()),
                    outlet=outlet_of(url),
                    published=iso_date(str(hit.get("publish_date") or "")),
                    byline=byline_of(hit.get("authors") or []),
                    text=text,
                )
            )
    result.questions = [replace(q, results=tuple(returned.get(q.id, ()))) for q in result.questions]
    return result


# --- writing -----------------------------------------------------------------------------


def article_markdown(doc: Doc) -> str:
    """YAML front matter the ingest reads (title, outlet, published, byline, url), then text."""
    meta = {"title": doc.title, "outlet": doc.outlet, "url": doc.url}
    if doc.published:
        meta["published"] = doc.published
    if doc.byline:
        meta["byline"] = doc.byline
    head = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=10_000)
    return f"---\n{head}---\n\n{doc.text}\n"


def is_except_question(question: Question) -> bool:
    """The benchmark skips questions ending in "except …" (the gold is the odd one out)."""
    return bool(re.search(r"\bexcept\b[^.?!]*[.?!]?\s*$", question.sentence, re.IGNORECASE))


def usable(question: Question) -> bool:
    """Skipped like the benchmark skips them: "except" items, and golds no text can quote."""
    gold = normalise(question.gold)
    return bool(gold) and gold not in _JUDGEMENTS and not is_except_question(question)


def build_cases(week: Week, pool: Sequence[Question]) -> tuple[list[dict[str, Any]], int]:
    """The week's answerable cases, then refusals drawn from ``pool`` (other weeks' questions);
    and how many questions were not asked because their gold matched only by chance.

    A question is answerable when its gold occurs in one of its own search results; those
    articles are its sources. A question whose gold occurs only in articles returned for
    *other* questions is not asked at all (``by_chance``): on the dev weeks nearly all such
    matches are chance ("Will Smith" at the Oscars for a baseball roster question, "Wales" in
    "Lake Wales, Florida", a bare "10"), so it is neither answerable nor a fair refusal.
    """
    texts = {d.id: normalise(d.text) for d in week.docs}
    answerable, by_chance = _answerable_cases(week, texts)
    return [*answerable, *_refusal_cases(week, pool, texts, len(answerable))], by_chance


def _answerable_cases(week: Week, texts: dict[str, str]) -> tuple[list[dict[str, Any]], int]:
    """The answerable cases, and how many usable questions were left out because their gold
    is only in other questions' search results."""
    answerable, by_chance = [], 0
    for q in week.questions:
        if not usable(q):
            continue
        gold = normalise(q.gold)
        holding = [doc for doc, text in texts.items() if occurs(gold, text)]
        own = [doc for doc in holding if doc in q.results]
        if own:
            answerable.append(_answerable_case(week, q, own))
        elif holding:
            by_chance += 1
    return answerable, by_chance


def _refusal_cases(
    week: Week, pool: Sequence[Question], texts: dict[str, str], answerable: int
) -> list[dict[str, Any]]:
    """About one refusal per ``REFUSAL_SHARE`` answerable cases: questions of other weeks whose
    gold is in none of this week's articles, in a deterministic order."""
    absent = [
        q
        for q in pool
        if q.week != week.name
        and usable(q)
        and not any(occurs(normalise(q.gold), t) for t in texts.values())
    ]
    absent.sort(key=lambda q: hashlib.sha256(f"{week.name}:{q.id}".encode()).hexdigest())
    wanted = max(1, round(answerable / REFUSAL_SHARE)) if answerable else 0
    refusals = [_refusal_case(week, q) for q in absent[:wanted]]
    refusals.sort(key=lambda c: str(c["id"]))
    return refusals


def _tags(week: Week, q: Question) -> list[str]:
    quiz = re.sub(r"[^a-z0-9]+", "-", q.source.lower()).strip("-") or "quiz"
    return ["realtimeqa", f"w{week.name}", week.split, f"quiz-{quiz}"]


def _answerable_case(week: Week, q: Question, sources: list[str]) -> dict[str, Any]:
    case: dict[str, Any] = {
        "id": f"rtqa-{q.id}",
        "question": q.sentence,
        "as_of": q.date,
        "answer_any": [answer_alternatives(q.gold)],
        "sources": sorted(sources),
        "tags": _tags(week, q),
        "note": f"{q.source} quiz of {q.date}; gold: {q.gold}",
    }
    if not q.date:
        del case["as_of"]
    return case


def _refusal_case(week: Week, q: Question) -> dict[str, Any]:
    # Asked of this week's archive on this week's date: the question's own week would give
    # its "this week" away as another time.
    asked_on = max((other.date for other in week.questions if other.date), default="")
    case: dict[str, Any] = {
        "id": f"rtqa-{week.name}-absent-{q.id}",
        "question": q.sentence,
        "as_of": asked_on,
        "answerable": False,
        "tags": [*_tags(week, q), "refusal"],
        "note": f"question of week {q.week}; its gold ({q.gold}) is in none of this week's"
        " articles",
    }
    if not asked_on:
        del case["as_of"]
    return case


def suite_yaml(week: Week, cases: Sequence[dict[str, Any]], by_chance: int = 0) -> str:
    answerable = sum(1 for c in cases if c.get("answerable", True))
    header = [
        f"# RealTime QA week {week.name} ({week.split} split), generated by",
        f"#   assistant eval import realtimeqa ../shared/datasets/realtimeqa --weeks {week.name}",
        "# Do not edit by hand: `make realtimeqa` regenerates it. Format: evals/README.md.",
        f"# {SPLIT_NOTE}",
        f"# Corpus: corpus/{week.name}/ ({len(week.docs)} unique articles of the week's search "
        "results).",
        f"# {answerable} answerable questions (gold text, SQuAD-normalised, in one of the"
        " question's own search results; sources = those articles),",
        f"# {by_chance} questions not asked: their gold is only in articles"
        " returned for other questions (a chance match, neither answerable nor a refusal),",
        f"# {len(cases) - answerable} refusals: questions of other {week.split} weeks whose gold"
        " is in none of this week's articles.",
        "",
    ]
    body = yaml.safe_dump(list(cases), sort_keys=False, allow_unicode=True, width=10_000)
    return "\n".join(header) + body.replace("\n- id:", "\n\n- id:")


@dataclass(frozen=True, slots=True)
class WeekSummary:
    week: str
    split: str
    articles: int
    answerable: int
    refusals: int
    suite: Path
    corpus: Path


def convert(
    directory: Path, out: Path, weeks: Sequence[str] = (), *, write_corpus: bool = True
) -> list[WeekSummary]:
    """Write ``out/corpus/W/*.md`` and ``out/realtimeqa-W.yaml`` for each week (default all)."""
    known = available_weeks(directory)
    if not known:
        raise ImportProblem(f"no YYYYMMDD_qa.jsonl with its _gcs.jsonl in {directory}")
    unknown = [w for w in weeks if w not in known]
    if unknown:
        raise ImportProblem(f"no such week in {directory}: {', '.join(unknown)}")
    data = {w: read_week(directory, w) for w in known}
    summaries = []
    for name in weeks or known:
        week = data[name]
        pool = [q for w in known if split_of(w) == week.split for q in data[w].questions]
        cases, by_chance = build_cases(week, pool)
        corpus = out / "corpus" / name
        if write_corpus:
            _write_corpus(corpus, week.docs)
        suite = out / f"realtimeqa-{name}.yaml"
        suite.parent.mkdir(parents=True, exist_ok=True)
        suite.write_text(suite_yaml(week, cases, by_chance), encoding="utf-8")
        answerable = sum(1 for c in cases if c.get("answerable", True))
        summaries.append(
            WeekSummary(
                name, week.split, len(week.docs), answerable, len(cases) - answerable, suite, corpus
            )
        )
    return summaries


def _write_corpus(folder: Path, docs: Sequence[Doc]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {d.id for d in docs}
    for stale in folder.glob("*.md"):
        if stale.name not in wanted:
            stale.unlink()
    for doc in docs:
        path = folder / doc.id
        content = article_markdown(doc)
        if not path.is_file() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
