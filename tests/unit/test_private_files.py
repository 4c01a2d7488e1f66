"""Chat history and the index are private: 0700 data dir, 0600 databases, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.retrieval import indexer
from assistant.sessions.store import SessionStore
from assistant.settings import load_settings
from tests.unit.retrieval_fakes import HashEmbedder, write_articles


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("open_umask")
def test_data_dir_and_databases_are_private(tmp_path: Path) -> None:
    settings = load_settings()
    write_articles(tmp_path / "arts", 3)
    indexer.sync([tmp_path / "arts"], settings, embedder=HashEmbedder())
    store = SessionStore(settings.sessions_db)
    store.create()
    assert mode(settings.data_dir) == 0o700
    for db in (settings.index_db, settings.sessions_db):
        assert mode(db) == 0o600, db
    for extra in settings.data_dir.glob("*.sqlite3-*"):
        assert mode(extra) == 0o600, extra
    assert mode(settings.lock_file) == 0o600


@pytest.mark.usefixtures("open_umask")
def test_an_old_world_readable_data_dir_is_tightened(tmp_path: Path) -> None:
    settings = load_settings()
    settings.data_dir.mkdir(mode=0o755)
    settings.sessions_db.touch(mode=0o644)
    os.chmod(settings.data_dir, 0o755)
    SessionStore(settings.sessions_db).create()
    assert mode(settings.data_dir) == 0o700 and mode(settings.sessions_db) == 0o600


def test_making_an_open_database_private_keeps_its_locks(tmp_path: Path) -> None:
    """Closing any descriptor of a file drops the process's POSIX locks on it: another
    process closing the database would then think itself the last user and delete the WAL
    under this process's open connection ("disk I/O error" on its next query)."""
    import sqlite3
    import subprocess
    import sys

    from assistant.files import private_file

    db = tmp_path / "x.sqlite3"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
    private_file(db)
    writer = (
        "import sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('INSERT INTO t VALUES (2)')\n"
        "c.close()\n"
    )
    subprocess.run([sys.executable, "-c", writer, str(db)], check=True, timeout=60)
    assert Path(f"{db}-wal").exists()  # still in use by this process: not cleaned up
    assert conn.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 2
    conn.close()
