"""Text that is safe to put on a terminal: the one sanitizer every printer uses.

Article text, titles, file names and model prose can carry escape sequences (``ESC ] 0;…``
retitles a terminal window, ``ESC [ 2J`` clears it) or bidi overrides that reorder what a line
appears to say. Printers pass what they show through ``for_terminal`` (layout: newlines and
tabs kept) or ``one_line`` (a name, a title, an error). The stored text is never changed, so
offsets into it still hold; only what is shown is escaped, visibly, as ``\\x1b``-style codes.
"""

from __future__ import annotations

import re

# C0 controls, DEL and C1 controls (U+0080-U+009F: 8-bit CSI/OSC), bidi embeddings/overrides
# and isolates. \t and \n are handled by the callers' choice of function.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_BREAKS = re.compile(r"[\r\n\t]+")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def for_terminal(text: str) -> str:
    """``text`` with every control character but newline and tab shown as an escape code
    (a Windows line end shows as a newline; a lone carriage return could overwrite a line)."""
    return _UNSAFE.sub(_escape, text.replace("\r\n", "\n"))


def one_line(text: str) -> str:
    """``text`` on one line: line breaks and tabs become a space, other controls escape codes."""
    return _UNSAFE_LINE.sub(_escape, _BREAKS.sub(" ", text))


def json_for_terminal(dumped: str) -> str:
    """A JSON document (``json.dumps(..., ensure_ascii=False)``) whose strings show no raw
    C1 control or bidi override: they become ``\\uXXXX`` escapes, so the data parses the same."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)
