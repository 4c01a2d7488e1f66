"""What the chat app remembers between runs (the theme), in ``<data_dir>/chat.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FILENAME = "chat.json"


def load(data_dir: Path) -> dict[str, Any]:
    """The saved preferences; an unreadable file counts as none saved."""
    try:
        data = json.loads((data_dir / FILENAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save(data_dir: Path, **values: Any) -> None:
    """Merge ``values`` into the saved preferences; failing to save is not an error."""
    data = load(data_dir) | values
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        (data_dir / FILENAME).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    except OSError:
        pass
