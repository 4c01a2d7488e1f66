"""The data and config folders are named news-assistant; files of the old `assistant` folders
are moved over once, with a one-line notice, and nothing of them is lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.settings import load_settings


@pytest.fixture
def platform_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """No explicit data dir or config file: the platform folders (XDG, in temp) decide."""
    monkeypatch.delenv("ASSISTANT_DATA_DIR")
    monkeypatch.delenv("ASSISTANT_CONFIG")
    return tmp_path / "xdg-data", tmp_path / "xdg-config"


def test_a_fresh_install_uses_news_assistant_folders(
    platform_dirs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    data, _ = platform_dirs
    assert load_settings().data_dir == data / "news-assistant"
    assert capsys.readouterr().err == ""


def test_old_folders_are_moved_once_with_a_notice(
    platform_dirs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    data, config = platform_dirs
    old_data, old_config = data / "assistant", config / "assistant"
    (old_data / "chroma").mkdir(parents=True)
    (old_data / "chroma" / "store.bin").write_bytes(b"vectors")
    (old_data / "sessions.sqlite3").write_bytes(b"sessions")
    (old_data / "sessions.sqlite3-wal").write_bytes(b"wal")
    (old_data / "other-tool.json").write_text("{}")  # not ours: stays where it is
    old_config.mkdir(parents=True)
    (old_config / "config.toml").write_text("[answer]\nmax_quotes = 5\n")

    settings = load_settings()
    new = data / "news-assistant"
    assert settings.data_dir == new
    assert settings.answer.max_quotes == 5  # the old config is still read
    assert (new / "chroma" / "store.bin").read_bytes() == b"vectors"
    assert (new / "sessions.sqlite3").read_bytes() == b"sessions"
    assert (new / "sessions.sqlite3-wal").read_bytes() == b"wal"
    assert (old_data / "other-tool.json").exists()
    assert (config / "news-assistant" / "config.toml").exists()
    assert not old_config.exists()  # emptied, so removed
    notices = capsys.readouterr().err.strip().splitlines()
    assert len(notices) == 2 and all("moved" in n for n in notices)

    load_settings()
    assert capsys.readouterr().err == ""  # once only


def test_a_file_already_in_the_new_folder_is_never_overwritten(
    platform_dirs: tuple[Path, Path],
) -> None:
    data, _ = platform_dirs
    (data / "assistant").mkdir(parents=True)
    (data / "assistant" / "sessions.sqlite3").write_bytes(b"old")
    (data / "news-assistant").mkdir(parents=True)
    (data / "news-assistant" / "sessions.sqlite3").write_bytes(b"new")
    assert load_settings().data_dir == data / "news-assistant"
    assert (data / "news-assistant" / "sessions.sqlite3").read_bytes() == b"new"
    assert (data / "assistant" / "sessions.sqlite3").read_bytes() == b"old"


def test_an_old_folder_that_cannot_be_moved_is_read_where_it_is(
    platform_dirs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    data, _ = platform_dirs
    (data / "assistant").mkdir(parents=True)
    (data / "assistant" / "index.sqlite3").write_bytes(b"index")
    (data / "news-assistant").write_text("a file where the folder should be")
    assert load_settings().data_dir == data / "assistant"
    assert "where it is" in capsys.readouterr().err
