"""Files the app writes: private to the user whatever the umask, and replaced atomically.

Chat history and the article index are personal data: the data dir is 0700 and its
databases 0600 even under a permissive umask (022 would make them world-readable).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed and make it 0700; return it.

    Only the data dir and folders in it are created here, so a failure is the data dir
    setting's: a ConfigError naming it, not a crash."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    except OSError as err:
        from assistant.errors import ConfigError

        raise ConfigError(
            f"cannot create the folder {path}: {err.strerror or err} "
            "(data_dir, ASSISTANT_DATA_DIR: it needs a folder you can write)"
        ) from None
    if path.stat().st_mode & 0o777 != DIR_MODE:
        os.chmod(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty if missing, in a private parent dir, and make it 0600.

    SQLite gives its -wal and -shm files the database file's mode, so calling this before
    ``sqlite3.connect`` keeps those private too. An existing file is only chmod-ed by name:
    opening and closing it would drop every POSIX lock this process's SQLite connections
    hold on it (SQLite's documented pitfall), and a reader would then see "disk I/O error".
    """
    private_dir(path.parent)
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE))
        mode = path.stat().st_mode & 0o777
    if mode != FILE_MODE:
        os.chmod(path, FILE_MODE)
    return path


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to a temp file beside ``path``, then rename it over ``path``.

    A reader sees the old file or the new one, never half of one; a symlink at ``path`` is
    replaced by the file, not followed.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
