"""The part each line of an article plays: title, section label, metadata, credit, boilerplate
or body text.

Metadata reads the title, dates, outlet and byline from these roles and cleaning keeps only
the body, so the two always agree about a line. The rules are about shape, not about any one
site: labelled lines ("Published:", "Source:", "Photo:"), pipe-separated bylines, short lines
that are not sentences (labels before the title; headings, decks and captions after it).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from assistant.ingest.frontmatter import MetaError, front_matter
from assistant.text.dates import parse_date_prefix
from assistant.text.sentences import is_blank


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


BODY = "body"
BREADCRUMB = "breadcrumb"
LABEL = "section label"
TITLE = "title"
METADATA = "metadata"
BYLINE = "byline"
CREDIT = "photo credit"
COPYRIGHT = "copyright"
AUTHOR_NOTE = "author note"
BOILERPLATE = "boilerplate"
SEPARATOR = "separator"
HEADING = "heading"

FRONT_MATTER_KINDS = frozenset({"md", "txt"})
MAX_HEADING_WORDS = 20
_MAX_TITLE_WORDS = 30
_TITLE_WINDOW = 4
_WRAP_WIDTH = 120
_CLOSERS = "\"'”’»)]}」』*_"

_LINE = re.compile(r"[^\r\n]+")
_CRUMB_SPLIT = re.compile(r"\s*[»›]\s*|\s+>\s+")
_CRUMB = re.compile(r"^(?:home|main)\s*(?:[»›>/|])\s*\S|^[^»›]{1,40}[»›]", re.IGNORECASE)
_META_LABEL = re.compile(
    r"^(?:first\s+)?(?:published|posted|last\s+updated|updated|modified|date|released|source)\b"
    r"\s*(?:on\s+|at\s+)?",
    re.IGNORECASE,
)
DATE_LABEL = re.compile(
    r"\b(?P<label>first\s+published|published|posted|last\s+updated|updated|modified|date|released)"
    r"\s*(?:on\s+|at\s+)?[:：]?\s*",
    re.IGNORECASE,
)
_BYLINE_PIPE = re.compile(r"^by\s+[^|]+\|", re.IGNORECASE)
_BYLINE_SHORT = re.compile(r"^by\s+(?P<name>\S.*)$", re.IGNORECASE)
_AUTHOR = re.compile(r"^(?:authors?|written\s+by|reporters?|writers?)\s*[:：]\s*\S", re.IGNORECASE)
_NAME_CONNECTORS = _words("and & de del der van von bin al la le da di du y in")
_CREDIT = re.compile(
    r"^(?:file\s+)?(?:photos?|images?|pictures?|photographs?|credits?|illustrations?|graphics?"
    r"|videos?)(?:\s+(?:by|credit|courtesy))?\s*[:：/|]"
    r"|^(?:photos?|images?|pictures?)\s+(?:by|courtesy\s+of)\s+\S",
    re.IGNORECASE,
)
_COPYRIGHT = re.compile(r"^(?:copyright\b|©|\(c\)\s)|\ball\s+rights\s+reserved\b", re.IGNORECASE)
_AUTHOR_NOTE = re.compile(
    r"^(?:the\s+)?(?:author|writer)s?\s+(?:is|are|was|were|contributed)\b"
    r"|^the\s+(?:views|opinions)\s+(?:expressed|in\s+this|do\s+not)"
    r"|^(?:views|opinions)\s+expressed\b"
    r"|^this\s+(?:article|story|piece)\s+(?:first\s+appeared|was\s+(?:first|originally)\s+published)",
    re.IGNORECASE,
)
_BOILERPLATE = re.compile(
    r"^(?:suggest\s+to\s+a\s+friend|share\s+(?:this|on|via)\b|print(?:\s+this)?(?:\s+(?:article|page))?\W*$"
    r"|e-?mail\s+(?:this|to\s+a\s+friend)|follow\s+us\b|subscribe\b|sign\s+up\b|click\s+here\b"
    r"|read\s+more\b|related\s*(?:articles?|stories|news|reading)?\s*[:：]|advertisement\W*$"
    r"|download\s+(?:our|the)\s+app|back\s+to\s+top\b)",
    re.IGNORECASE,
)
_MD_HEADING = re.compile(r"^#{1,6}\s+|\s+#+\s*$")


@dataclass(frozen=True, slots=True)
class Line:
    """A non-blank line, trimmed: ``text == article_text[start:end]``."""

    start: int
    end: int
    para: int
    text: str

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True)
class Layout:
    lines: list[Line]
    roles: list[str]
    front_matter_end: int
    title: str


def analyse(text: str, kind: str, title: str = "") -> Layout:
    """Roles for every non-blank line; ``title`` (from a sidecar, say) also marks its repeats."""
    fm_end = _front_matter_end(text) if kind in FRONT_MATTER_KINDS else 0
    lines = split_lines(text, fm_end)
    if kind == "html" or not _hard_wrapped(lines):
        lines = split_lines(text, fm_end, one_line_paragraphs=True)
    roles = [_pattern_role(line.text) for line in lines]
    crumb_title, at = _breadcrumb_title(lines, roles)
    if at is None:
        at = _find_title(lines, roles)
    text_title = heading_text(lines[at].text) if at is not None else crumb_title
    if at is not None:
        roles[at] = TITLE
    _mark_repeats(lines, roles, {norm(title), norm(text_title), norm(crumb_title)} - {""})
    _mark_headings(lines, roles)
    if _lone_text_line(roles, at):
        roles[at if at is not None else roles.index(HEADING)] = BODY
        text_title = crumb_title
    return Layout(lines, roles, fm_end, text_title)


def _lone_text_line(roles: list[str], title_at: int | None) -> bool:
    """Whether the article's only text line was read as its title or a heading.

    A one-paragraph article written on a single line heads nothing: it is the body.
    """
    if BODY in roles:
        return False
    shaped = [i for i, role in enumerate(roles) if role == HEADING or i == title_at]
    return len(shaped) == 1


def split_lines(text: str, start: int = 0, *, one_line_paragraphs: bool = False) -> list[Line]:
    """Non-blank lines with their paragraph number (paragraphs end at blank lines)."""
    lines: list[Line] = []
    para = 0
    for m in _LINE.finditer(text, start):
        s, e = m.start(), m.end()
        while s < e and is_blank(text[s]):
            s += 1
        while e > s and is_blank(text[e - 1]):
            e -= 1
        if s == e:
            continue
        if lines and (one_line_paragraphs or _line_breaks(text[lines[-1].end : s]) >= 2):
            para += 1
        lines.append(Line(s, e, para, text[s:e]))
    return lines


def ends_sentence(text: str) -> bool:
    """Whether a line ends the way a sentence does (closing quotes and brackets aside)."""
    core = text.rstrip().rstrip(_CLOSERS).rstrip()
    return bool(core) and core[-1] in ".!?…:;。！？"


def heading_text(text: str) -> str:
    """A line without Markdown heading marks."""
    return _MD_HEADING.sub("", text).strip()


def norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def date_labels(text: str) -> list[tuple[str, str]]:
    """``(label, iso)`` for every labelled date in a metadata line ("Updated: 2021-12-01 09:05")."""
    found = []
    for m in DATE_LABEL.finditer(text):
        iso, _ = parse_date_prefix(text[m.end() :])
        if iso:
            found.append((" ".join(m.group("label").lower().split()), iso))
    return found


def date_line(text: str, kind: str) -> Line | None:
    """The metadata or byline line that states the article's dates, as metadata reads it."""
    layout = analyse(text, kind)
    for line, role in zip(layout.lines, layout.roles, strict=True):
        if role in (METADATA, BYLINE) and date_labels(line.text):
            return line
    return None


def _hard_wrapped(lines: list[Line]) -> bool:
    """Whether paragraphs are wrapped over short lines; if not, every line is a paragraph."""
    return bool(lines) and max(len(line.text) for line in lines) <= _WRAP_WIDTH


def _front_matter_end(text: str) -> int:
    try:
        found = front_matter(text)
    except MetaError:  # loading already refused such a file; here it is simply body text
        return 0
    return found[0] if found else 0


def _line_breaks(gap: str) -> int:
    return gap.count("\n") + gap.count("\r") - gap.count("\r\n")


def _pattern_role(text: str) -> str:
    words = len(text.split())
    if not any(ch.isalnum() for ch in text):
        return SEPARATOR
    if _is_breadcrumb(text):
        return BREADCRUMB
    if _is_metadata(text):
        return METADATA
    if _is_byline(text):
        return BYLINE
    if _CREDIT.match(text) and words <= 15:
        return CREDIT
    if _COPYRIGHT.search(text) and words <= 40:
        return COPYRIGHT
    if _AUTHOR_NOTE.match(text) and words <= 60:
        return AUTHOR_NOTE
    if _BOILERPLATE.match(text) and words <= 15:
        return BOILERPLATE
    return BODY


def _is_breadcrumb(text: str) -> bool:
    return (
        bool(_CRUMB.match(text))
        and "«" not in text
        and not text.rstrip().endswith(".")
        and len(_CRUMB_SPLIT.split(text)) >= 2
    )


def _is_metadata(text: str) -> bool:
    """A "Published: …" line, or a short line with a label straight before a date."""
    m = _META_LABEL.match(text)
    if not m:
        return False
    rest = text[m.end() :]
    if rest.startswith((":", "：")):
        return True
    short = len(text.split()) <= 12 and not ends_sentence(text)
    return short and bool(parse_date_prefix(rest)[0])


def _is_byline(text: str) -> bool:
    if _BYLINE_PIPE.match(text) or _AUTHOR.match(text):
        return True
    m = _BYLINE_SHORT.match(text)
    if not m or ends_sentence(text):
        return False
    words = m.group("name").replace(",", " ").split()
    return len(words) <= 8 and all(w[0].isupper() or w.lower() in _NAME_CONNECTORS for w in words)


def _breadcrumb_title(lines: list[Line], roles: list[str]) -> tuple[str, int | None]:
    """The last crumb of "Home » … » Title", and the line repeating it as the headline."""
    for i, role in enumerate(roles):
        if role != BREADCRUMB:
            continue
        tail = _CRUMB_SPLIT.split(lines[i].text)[-1].strip()
        for j in range(i + 1, min(len(lines), i + 2 + _TITLE_WINDOW)):
            if roles[j] == BODY and norm(lines[j].text) == norm(tail):
                for k in range(i + 1, j):
                    if roles[k] == BODY and not ends_sentence(lines[k].text):
                        roles[k] = LABEL
                return tail, j
        return (tail if len(tail.split()) >= 4 else ""), None
    return "", None


def _find_title(lines: list[Line], roles: list[str]) -> int | None:
    """The first title-like line at the top, after any section labels ("CHINA / POLITICS")."""
    candidates = [i for i, role in enumerate(roles) if role == BODY][:_TITLE_WINDOW]
    for n, i in enumerate(candidates):
        if not _title_like(lines, roles, i):
            return None
        after = candidates[n + 1] if n + 1 < len(candidates) else None
        if after is not None and _label_like(lines[i].text) and _title_like(lines, roles, after):
            roles[i] = LABEL
            continue
        return i
    return None


def _title_like(lines: list[Line], roles: list[str], i: int) -> bool:
    text = heading_text(lines[i].text)
    core = text.rstrip(_CLOSERS)
    return (
        0 < len(text.split()) <= _MAX_TITLE_WORDS
        and not core.endswith((".", ":", ";"))
        and not _continues(lines, roles, i)
    )


def _continues(lines: list[Line], roles: list[str], i: int) -> bool:
    """Whether line ``i`` is the start of a hard-wrapped paragraph rather than a line of its own."""
    if i + 1 >= len(lines) or lines[i + 1].para != lines[i].para or roles[i + 1] != BODY:
        return False
    nxt = lines[i + 1].text
    return nxt[:1].islower() or (len(nxt.split()) > _MAX_TITLE_WORDS or ends_sentence(nxt))


def _label_like(text: str) -> bool:
    """A section label: a few words, capitals only, "A / B" crumbs, or a bare list of tags."""
    words = text.split()
    if len(words) <= 3 or re.search(r"\s[/|•·]\s", text):
        return True
    letters = [ch for ch in text if ch.isalpha()]
    if letters and all(ch.isupper() for ch in letters):
        return True
    tag_list = all(w[0].isupper() and w.replace("-", "").replace("&", "").isalnum() for w in words)
    return len(words) >= 5 and tag_list


def _mark_repeats(lines: list[Line], roles: list[str], titles: set[str]) -> None:
    for i, line in enumerate(lines):
        if roles[i] == BODY and norm(heading_text(line.text)) in titles:
            roles[i] = TITLE


def _mark_headings(lines: list[Line], roles: list[str]) -> None:
    """Short non-sentences alone or among header lines: decks, subheads, captions."""
    sizes = Counter(line.para for line in lines)
    header_paras = {line.para for line, role in zip(lines, roles, strict=True) if role != BODY}
    for i, line in enumerate(lines):
        if roles[i] != BODY or line.words > MAX_HEADING_WORDS or ends_sentence(line.text):
            continue
        if sizes[line.para] == 1 or (line.para in header_paras and not _continues(lines, roles, i)):
            roles[i] = HEADING
