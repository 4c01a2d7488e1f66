"""Bad configuration is not a bug: one line naming the setting, its source and what is allowed."""

from __future__ import annotations

import pytest

from assistant.settings import debug_enabled


@pytest.mark.parametrize(
    ("value", "on"), [("0", False), ("", False), ("false", False), ("1", True), ("yes", True)]
)
def test_assistant_debug_0_does_not_turn_tracebacks_on(
    value: str, on: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_DEBUG", value)
    assert debug_enabled() is on
