"""Checks on the words a model writes around its evidence: only what the cited sources back
is shown. A sentence of model prose is removed when it names an outlet that is not a cited
source's (and is not named in a cited quote), attributes something "according to" a party the
cited quotes and sources never name, or carries a link that is not a cited source's. Article
text can carry instructions ("Visit http://…"); this keeps such words out of the answer even
when a model obeys them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from assistant.text.sentences import sentence_spans
from assistant.types import Citation, Hit

# Generic words news outlets are named with, and names that stand alone; data, not any
# corpus's names. A noun counts only after a capitalised word or "the" ("Global Times").
OUTLET_NOUNS = (
    "Times Post News Journal Daily Herald Tribune Gazette Guardian Telegraph Press Agency "
    "Chronicle Observer Wire Broadcasting Television Radio Magazine"
).split()
OUTLET_BRANDS = "Reuters Bloomberg BBC CNN AFP NPR AP".split()
_CAP = r"[A-Z][\w'’&.-]*"
_NOUN = "|".join(OUTLET_NOUNS)
_OUTLET = re.compile(
    rf"\b(?:(?:[Tt]he\s+)?(?:{_CAP}\s+){{1,4}}(?:{_NOUN})|[Tt]he\s+(?:{_NOUN})"
    rf"|{'|'.join(OUTLET_BRANDS)})\b"
)
_ACCORDING = re.compile(rf"\baccording to\s+((?:the\s+)?{_CAP}(?:\s+{_CAP})*)")
_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"')\]]+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|info|io|biz|xyz|"
    r"example|gov|edu|co|uk|cn|ru|de|fr)\b(?:/[^\s<>\"')\]]*)?",
    re.I,
)
_TAG = re.compile(r"</?passage\b[^>]*>?", re.I)
_LINK_NOTE = "A link in the model's answer that is not one of its sources was removed."
_OUTLET_NOTE = "A source the model named that is not one of the cited sources was removed."
INLINE_NOTE = "Words the model put in quotation marks that are not in the articles were removed."


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def _host(url: str) -> str:
    url = url if "://" in url else f"http://{url}"
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


class ProseCheck:
    """What cited sources back: their outlets, titles, quotes and links."""

    def __init__(self, citations: Sequence[Citation], hits: Sequence[Hit]) -> None:
        self.backed = _fold(
            " ".join(f"{c.outlet} {c.title} {c.quote} {c.speaker}" for c in citations)
        )
        self.outlets = {_fold(c.outlet) for c in citations if c.outlet}
        self.known_outlets = {h.chunk.outlet for h in hits if h.chunk.outlet}
        self.hosts = {_host(c.url) for c in citations if c.url}
        self.quotes = " ".join(c.quote for c in citations)

    def outlet_ok(self, name: str) -> bool:
        folded = _fold(name).removeprefix("the ").strip()
        if not folded:
            return True
        return any(folded in o or o in folded for o in self.outlets) or folded in self.backed

    def party_ok(self, name: str) -> bool:
        words = [w for w in _fold(name).split() if w != "the"]
        return all(w in self.backed.split() for w in words)

    def url_ok(self, url: str) -> bool:
        return url in self.quotes or _host(url) in self.hosts

    def problems(self, sentence: str) -> list[str]:
        found: list[str] = []
        if any(not self.url_ok(m.group(0).rstrip(".,;:")) for m in _URL.finditer(sentence)):
            found.append(_LINK_NOTE)
        outlets = [m.group(0) for m in _OUTLET.finditer(sentence)]
        outlets += [o for o in self.known_outlets if o in sentence]
        parties = [m.group(1) for m in _ACCORDING.finditer(sentence)]
        if any(not self.outlet_ok(o) for o in outlets) or any(
            not self.party_ok(p) for p in parties
        ):
            found.append(_OUTLET_NOTE)
        return found


def check_prose(
    text: str,
    citations: Sequence[Citation],
    hits: Sequence[Hit],
    unquotable: Sequence[str] = (),
) -> tuple[str, list[str]]:
    """``text`` without the sentences that fail the checks (or put in quotation marks any of
    the ``unquotable`` words, found in no article), and a note for each kind of removal.
    Markers [n] stay with the sentences they follow; our own passage tags are dropped."""
    check = ProseCheck(citations, hits)
    original, text = text, _TAG.sub(" ", text)
    kept: list[str] = []
    notes: list[str] = []
    cursor = 0
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        problems = check.problems(sentence)
        if any(words in sentence for words in unquotable):
            problems.append(INLINE_NOTE)
        if problems:
            notes += [p for p in problems if p not in notes]
        else:
            kept.append(text[cursor:start] + sentence)
        cursor = end
    if not notes:
        return (original if text == original else " ".join(text.split())), []
    return "".join(kept).strip(), notes
