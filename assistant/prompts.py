"""Loads the prompt templates in prompts/*.txt and checks their ``{variables}`` at load.

Prompts are data: editing a file changes what the model is asked, and a template that lost a
required variable (or gained one nobody fills) fails at load with the file's name, not later
as a silently odd prompt. Literal braces are written ``{{`` and ``}}``.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import AssistantError

# Each template and the variables it must use (all of them, and no others).
SPEC: dict[str, frozenset[str]] = {
    "answer_system": frozenset({"max_quotes"}),
    "answer_user": frozenset({"history", "passages", "question"}),
    "passage": frozenset({"n", "outlet", "title", "date", "text"}),
    "rewrite": frozenset({"history", "question"}),
}


class PromptError(AssistantError):
    """A template file is missing or does not use exactly its expected variables."""

    exit_code = 2
    kind = "input"


@dataclass(frozen=True, slots=True)
class Template:
    """One checked template; ``render`` fills exactly its variables."""

    name: str
    path: Path
    text: str
    variables: frozenset[str]

    def render(self, **values: object) -> str:
        given = set(values)
        if given != self.variables:
            missing = sorted(self.variables - given)
            extra = sorted(given - self.variables)
            raise PromptError(
                f"prompt {self.path.name}: render got missing={missing} unexpected={extra}"
            )
        return self.text.format(**values)


@dataclass(frozen=True, slots=True)
class Prompts:
    answer_system: Template
    answer_user: Template
    passage: Template
    rewrite: Template


def variables_of(text: str, path: Path) -> frozenset[str]:
    """The ``{names}`` a template uses; positional, attribute or formatted fields are errors."""
    try:
        parsed = [(f, spec, conv) for _, f, spec, conv in string.Formatter().parse(text)]
    except ValueError as exc:
        msg = f"prompt {path.name}: bad braces ({exc}); write literal ones as {{{{ and }}}}"
        raise PromptError(msg) from exc
    fields = [f for f, _, _ in parsed if f is not None]
    for field in fields:
        if not field.isidentifier():
            raise PromptError(f"prompt {path.name}: bad variable {{{field}}}; use plain names")
    if any(spec or conv for f, spec, conv in parsed if f is not None):
        raise PromptError(f"prompt {path.name}: format specs and conversions are not allowed")
    return frozenset(fields)


def load_template(path: Path, required: frozenset[str]) -> Template:
    """Read and check one template against the variables it must use."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PromptError(f"prompt {path.name}: cannot read {path} ({exc.strerror})") from exc
    found = variables_of(text, path)
    missing = sorted(required - found)
    unknown = sorted(found - required)
    if missing or unknown:
        parts = []
        if missing:
            parts.append("missing " + ", ".join("{" + v + "}" for v in missing))
        if unknown:
            parts.append("unknown " + ", ".join("{" + v + "}" for v in unknown))
        raise PromptError(f"prompt {path}: " + "; ".join(parts))
    return Template(name=path.stem, path=path, text=text, variables=required)


def load_prompts(directory: Path | None = None) -> Prompts:
    """All templates from ``directory`` (default: the settings' prompts_dir), checked."""
    if directory is None:
        from assistant.settings import bundled

        directory = bundled("prompts")
    loaded = {name: load_template(directory / f"{name}.txt", req) for name, req in SPEC.items()}
    return Prompts(**loaded)
