"""Session exports keep every citation; `assistant sessions …` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from assistant.cli import sessions as sessions_cli
from assistant.errors import InputError
from assistant.sessions.export import export_session, to_json, to_markdown
from assistant.sessions.store import SessionStore
from assistant.settings import load_settings
from tests.unit.test_sessions_store import make_answer


@pytest.fixture
def store() -> SessionStore:
    return SessionStore(load_settings().sessions_db, clock=lambda: "2024-05-01T10:00:00+00:00")


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Root."""

    sessions_cli.register(app)
    return app


def test_markdown_and_json_keep_every_citation(store: SessionStore) -> None:
    s = store.create()
    store.add_exchange(s.id, "Who met Kerry?", make_answer())
    turn = store.add_user_message(s.id, "And then?")
    store.complete(s.id, turn, make_answer("And then?", stopped=True))
    session = store.require(s.id)
    md = to_markdown(session, store.messages(s.id))
    assert "# Who met Kerry?" in md
    assert "> Yang Jiechi met with U.S. Special Presidential Envoy" in md
    assert "fmprc.gov.cn" in md and "2021-09-02" in md and "Yang Jiechi Meets with John Kerry" in md
    assert "`003_7d1f377c2dc1bafd`, characters 150–202" in md
    assert "[stopped]" in md
    data = json.loads(to_json(session, store.messages(s.id)))
    assert data["session"]["id"] == s.id
    cite = data["turns"][0]["answer"]["citations"][0]
    assert cite == make_answer().citations[0].to_dict()
    assert data["turns"][1]["answer"]["stopped"] is True
    assert "evidence" not in data["turns"][0]["answer"]


def test_cli_list_show_export_delete(store: SessionStore, cli: typer.Typer, tmp_path: Path) -> None:
    s = store.create()
    store.add_exchange(s.id, "Who met Kerry?", make_answer())
    run = CliRunner().invoke
    out = run(cli, ["sessions", "list"])
    assert out.exit_code == 0 and s.id in out.stdout and "Who met Kerry?" in out.stdout
    assert s.id not in run(cli, ["sessions", "list", "nothing-like-this"]).stdout
    out = run(cli, ["sessions", "show", s.id[:4]])
    assert out.exit_code == 0 and "Yang Jiechi met him [1]." in out.stdout
    target = tmp_path / "out.json"
    out = run(cli, ["sessions", "export", s.id, "--format", "json", "-o", str(target)])
    assert out.exit_code == 0, out.output
    assert json.loads(target.read_text())["turns"][0]["question"] == "Who met Kerry?"
    out = run(cli, ["sessions", "export", s.id, "--format", "md"])
    assert out.stdout == export_session(store, s.id, "md")[1]
    out = run(cli, ["sessions", "export", s.id, "--format", "pdf"])
    assert out.exit_code == 2 and "unknown format" in out.stderr
    out = run(cli, ["sessions", "delete", s.id], input="n\n")
    assert out.exit_code == 9 and store.get(s.id) is not None  # declined
    out = run(cli, ["sessions", "delete", s.id, "--yes"])
    assert out.exit_code == 0 and store.get(s.id) is None
    out = run(cli, ["sessions", "show", s.id])
    assert out.exit_code == 2 and "no session" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_cli_help_on_every_command(cli: typer.Typer) -> None:
    run = CliRunner().invoke
    for cmd in ("list", "show", "export", "delete"):
        out = run(cli, ["sessions", cmd, "--help"])
        assert out.exit_code == 0 and len(out.stdout) > 100


def test_export_refuses_existing_files_and_the_apps_own_databases(
    store: SessionStore, cli: typer.Typer, tmp_path: Path
) -> None:
    s = store.create()
    store.add_exchange(s.id, "Who met Kerry?", make_answer())
    run = CliRunner().invoke
    db = load_settings().sessions_db
    before = db.read_bytes()
    link = tmp_path / "innocent.json"
    link.symlink_to(db)
    for target in (db, link, db.parent / "new.json"):
        for extra in ([], ["--force"]):
            out = run(cli, ["sessions", "export", s.id, "-f", "json", "-o", str(target), *extra])
            assert out.exit_code == 2 and "data dir" in out.stderr, (target, out.output)
    assert db.read_bytes() == before and store.get(s.id) is not None
    assert not (db.parent / "new.json").exists()

    mine = tmp_path / "notes.md"
    mine.write_text("keep me", encoding="utf-8")
    out = run(cli, ["sessions", "export", s.id, "-o", str(mine)])
    assert out.exit_code == 2 and "--force" in out.stderr
    assert mine.read_text(encoding="utf-8") == "keep me"
    out = run(cli, ["sessions", "export", s.id, "-o", str(mine), "--force"])
    assert out.exit_code == 0, out.output
    assert mine.read_text(encoding="utf-8") == export_session(store, s.id, "md")[1]
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_export_writes_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from assistant.sessions.export import write_export

    target = tmp_path / "out.md"
    target.write_text("old", encoding="utf-8")

    def crash(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(InputError, match="No space left"):
        write_export(target, "new text", data_dir=tmp_path / "data", force=True)
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.md"]


def test_cli_list_json_is_a_stable_list(store: SessionStore, cli: typer.Typer) -> None:
    runner = CliRunner()
    empty = runner.invoke(cli, ["sessions", "list", "--json"])
    assert empty.exit_code == 0 and json.loads(empty.stdout) == []
    s = store.create()
    store.add_exchange(s.id, "Who met Kerry?", make_answer())
    out = runner.invoke(cli, ["sessions", "list", "--json"])
    assert out.exit_code == 0
    assert json.loads(out.stdout) == [
        {
            "id": s.id,
            "title": "Who met Kerry?",
            "created_at": "2024-05-01T10:00:00+00:00",
            "updated_at": "2024-05-01T10:00:00+00:00",
            "turns": 1,
        }
    ]


def test_failures_and_refusals_read_as_such(store: SessionStore) -> None:
    from assistant.types import Answer

    s = store.create()
    turn = store.add_user_message(s.id, "Who met Kerry?")
    store.fail(s.id, turn, "the endpoint refused")
    refused = Answer(
        question="Why?", refused=True, refusal_reason="nothing on it", backend="extractive"
    )
    store.add_exchange(s.id, "Why?", refused)
    session = store.require(s.id)
    md = to_markdown(session, store.messages(s.id))
    assert "_Failed: the endpoint refused_" in md and "No answer was saved" not in md
    assert "_Not answered: nothing on it_" in md and "Answered by" not in md
    assert "_Declined by extractive._" in md
    data = json.loads(to_json(session, store.messages(s.id)))
    assert data["turns"][0]["failure"] == "the endpoint refused"
    assert data["turns"][0]["answer"] is None and data["turns"][1]["failure"] == ""
