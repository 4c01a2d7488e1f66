"""A session as Markdown (to read) or JSON (to process), every citation kept whole."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from assistant.errors import InputError
from assistant.files import atomic_write
from assistant.sessions.store import Message, Session, SessionStore
from assistant.text.safe import for_terminal, json_for_terminal
from assistant.types import Answer, Citation

Format = Literal["md", "json"]
EXPORT_SCHEMA_VERSION = 1


def export_session(store: SessionStore, session_id: str, fmt: Format) -> tuple[Session, str]:
    """The session and its export text in ``fmt``, safe to ``cat`` on a terminal: Markdown
    shows control characters as escape codes; JSON escapes them, so it parses to the exact text."""
    session = store.require(session_id)
    messages = store.messages(session.id)
    text = to_markdown(session, messages) if fmt == "md" else to_json(session, messages)
    return session, for_terminal(text) if fmt == "md" else json_for_terminal(text)


def write_export(path: Path, text: str, *, data_dir: Path, force: bool = False) -> None:
    """Write an export to ``path`` atomically, refusing to clobber.

    An existing file needs ``force``; nothing inside the app's data dir (its databases, the
    index), reached directly or through a symlink, is ever written.
    """
    target = Path(os.path.realpath(path))
    home = Path(os.path.realpath(data_dir))
    if target == home or home in target.parents:
        raise InputError(f"refusing to write {path}: it is inside the app's data dir {home}")
    if os.path.lexists(path) and not force:
        raise InputError(f"{path} exists; pass --force to replace it")
    if target.is_dir():
        raise InputError(f"{path} is a folder")
    try:
        atomic_write(Path(path), text)
    except OSError as err:
        raise InputError(f"cannot write {path}: {err.strerror or err}") from err


def default_filename(session: Session, fmt: Format) -> str:
    return f"session-{session.id}.{fmt}"


def turns(messages: Sequence[Message]) -> list[tuple[Message | None, Message | None]]:
    """Pair questions with their answers, in turn order (either side may be missing)."""
    pairs: dict[int, list[Message | None]] = {}
    for message in messages:
        pair = pairs.setdefault(message.turn, [None, None])
        pair[0 if message.role == "user" else 1] = message
    return [(pair[0], pair[1]) for _, pair in sorted(pairs.items())]


def to_json(session: Session, messages: Sequence[Message]) -> str:
    data: dict[str, Any] = {
        "schema_version": EXPORT_SCHEMA_VERSION,
        "session": {
            "id": session.id,
            "title": session.title,
            "created_at": session.created_at,
            "updated_at": session.updated_at,
        },
        "turns": [
            {
                "turn": (question or answer).turn,  # type: ignore[union-attr]
                "question": question.content if question else "",
                "asked_at": question.created_at if question else "",
                "answered_at": answer.created_at if answer else "",
                "answer": _answer_dict(answer.answer) if answer and answer.answer else None,
                "failure": answer.content if answer and answer.failed else "",
            }
            for question, answer in turns(messages)
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _answer_dict(answer: Answer) -> dict[str, Any]:
    data = answer.to_dict()
    data.pop("evidence", None)
    return data


def to_markdown(session: Session, messages: Sequence[Message]) -> str:
    lines = [
        f"# {session.title or 'Untitled session'}",
        "",
        f"Session `{session.id}` · started {session.created_at} · updated {session.updated_at}",
    ]
    for question, reply in turns(messages):
        turn = (question or reply).turn  # type: ignore[union-attr]
        lines += ["", f"## {turn}. {question.content if question else '(question missing)'}", ""]
        answer = reply.answer if reply else None
        if reply is not None and reply.failed:
            lines.append(f"_Failed: {reply.content}_")
            continue
        if answer is None:
            lines.append("_No answer was saved for this question._")
            continue
        lines.append(answer_markdown(answer))
    return "\n".join(lines).rstrip() + "\n"


def answer_markdown(answer: Answer) -> str:
    """An answer's text, its state, and a Sources list with every citation's details."""
    lines = [answer.text.strip() or "_(no text)_"]
    if answer.stopped:
        lines[-1] += " [stopped]"
    if answer.refused and answer.refusal_reason:
        lines += ["", f"_Not answered: {answer.refusal_reason}_"]
    if answer.perspectives is not None:
        lines += ["", "**Who says what**", ""]
        for block in answer.perspectives:
            markers = " ".join(f"[{c.n}]" for c in block.citations)
            lines.append(f"- {block.label()} — {block.date_text}: {markers}")
    if answer.citations:
        lines += ["", "**Sources**", ""]
        lines += [citation_markdown(c) for c in answer.citations]
    if answer.backend:
        model = f" ({answer.model})" if answer.model else ""
        verb = "Declined" if answer.refused else "Answered"
        lines += ["", f"_{verb} by {answer.backend}{model}._"]
    return "\n".join(lines)


def citation_markdown(c: Citation) -> str:
    """``[n] label (article, offsets)`` then the verbatim quote as a block quote."""
    head = f"- [{c.n}] {c.label()} (article `{c.article_id}`, characters {c.start}–{c.end})"
    quote = "\n".join(f"  > {line}" for line in c.quote.splitlines() or [""])
    return f"{head}\n{quote}"
