"""The one terminal sanitizer: controls shown as escape codes, layout kept, data unchanged."""

from __future__ import annotations

import json

from assistant.text.safe import for_terminal, json_for_terminal, one_line


def test_escape_sequences_are_shown_not_sent() -> None:
    assert for_terminal("a\x1b]0;PWNED\x07b\x1b[2J") == "a\\x1b]0;PWNED\\x07b\\x1b[2J"
    assert for_terminal("8-bit CSI \x9b2J, DEL \x7f") == "8-bit CSI \\x9b2J, DEL \\x7f"
    assert for_terminal("bidi \u202eevil\u2066") == "bidi \\u202eevil\\u2066"


def test_layout_survives_for_terminal_but_not_one_line() -> None:
    assert for_terminal("one\n\ttwo\r\nthree\rfour") == "one\n\ttwo\nthree\\x0dfour"
    assert one_line("one\n\ttwo\r\nthree\x1b") == "one two three\\x1b"
    assert for_terminal("Xi’an — 西安 ✓") == "Xi’an — 西安 ✓"


def test_json_stays_the_same_data() -> None:
    data = {"quote": "a\x1b[2J \x9b31m \u202e b"}
    dumped = json_for_terminal(json.dumps(data, ensure_ascii=False))
    assert not any(ch in dumped for ch in "\x1b\x9b\u202e")
    assert json.loads(dumped) == data
