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


def test_ask_prints_model_prose_notes_and_sources_without_raw_controls(capsys) -> None:  # type: ignore[no-untyped-def]
    from assistant.cli.ask import _print_answer, _print_sources
    from assistant.types import Answer, Citation, Unverified

    evil = "\x1b]0;PWNED\x07\x1b[2J\x9b31m\u202e"
    answer = Answer(
        question="q",
        text=f"Model prose {evil} [1]",
        citations=[Citation(1, f"quote {evil}", f"id{evil}.txt", 0, 10, title=f"T{evil}",
                            outlet=f"O{evil}", speaker=f"S{evil}")],
        unverified=[Unverified(f"made up {evil}", 1, f"not found {evil}")],
        notes=[f"note {evil}"],
    )  # fmt: skip
    _print_answer(answer, shown=f"streamed {evil}")
    _print_sources(answer, "")
    out = capsys.readouterr().out
    assert not any(ch in out for ch in "\x1b\x07\x9b\u202e")
    assert out.count("\\x1b]0;PWNED") >= 5
