"""A hostile model reply is a bad reply, never a crash of the parser."""

from __future__ import annotations

from assistant.answer.reply_format import BAD_JSON_NOTE, parse_reply


def test_deeply_nested_json_is_a_bad_reply_not_a_recursion_error() -> None:
    nested = "[" * 100_000 + "]" * 100_000
    for body in (nested, '{"answer": ' + nested + "}"):
        reply = parse_reply(body)
        assert reply.notes == [BAD_JSON_NOTE]
        assert not reply.evidence and not reply.refused
