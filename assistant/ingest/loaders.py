"""Find article files and read them safely: text exactly as stored, HTML through trafilatura.

Every refusal is a ``LoadError`` whose reason fits on one line, so the CLI can list failed
files and carry on with the rest.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from assistant.errors import AssistantError
from assistant.ingest.frontmatter import (
    MetaError,
    front_matter,
    is_sidecar,
    meta_fields,
    parse_sidecar,
    sidecar_path,
)
from assistant.text.dates import normalise_date

KINDS = {".txt": "txt", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html"}
_HASH_BLOCK = 1 << 20
_SNIFF = 8192


class LoadError(AssistantError):
    """A file that cannot be ingested. ``str(err) == f"{path}: {reason}"``."""

    kind = "load"

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(path, reason)  # both in args, so the error survives pickling
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True)
class Document:
    """A file read into memory. ``text`` is what every offset refers to."""

    path: Path
    article_id: str
    text: str
    kind: str
    content_hash: str
    extra_meta: dict[str, str] = field(default_factory=dict)


def kind_of(path: Path | str) -> str:
    """The kind of file by extension ("txt", "md", "html"); "" for files we do not read."""
    return KINDS.get(Path(path).suffix.lower(), "")


def discover(paths: Sequence[Path]) -> tuple[list[tuple[Path, str]], list[LoadError]]:
    """Article files under ``paths`` with their ids, sorted by id, and the paths that failed.

    A named file is taken as is (its id is its name); a folder is searched recursively,
    skipping hidden entries, sidecars and other extensions, and ids are paths relative to it.
    """
    found: dict[str, Path] = {}
    seen: set[Path] = set()
    errors: list[LoadError] = []
    for given in paths:
        for file, article_id in _expand(Path(given), errors):
            real = _real(file)
            if real in seen:
                continue
            taken = found.get(article_id)
            if taken is not None:
                errors.append(
                    LoadError(file, f"duplicate article id {article_id!r} (also {taken})")
                )
                continue
            found[article_id] = file
            seen.add(real)
    return sorted(((p, i) for i, p in found.items()), key=lambda pair: pair[1]), errors


def load(path: Path, article_id: str, max_bytes: int) -> Document:
    """Read one article file, refusing anything that is not a small, readable text file."""
    kind = kind_of(path)
    if is_sidecar(path) or not kind:
        raise LoadError(path, _unsupported(path))
    size = _regular_file_size(path)
    if size > max_bytes:
        raise LoadError(path, _too_large(size, max_bytes))
    if size == 0:
        raise LoadError(path, "empty file")
    data = _read(path, max_bytes)
    sidecar = _read_sidecar(path)
    digest = hashlib.sha256(data)
    if sidecar is not None:
        digest.update(sidecar)
    if kind == "html":
        text, meta = _html(path, data)
    else:
        text = _decode(path, data)
        meta = _front_matter_meta(path, text, strict=kind == "md") if kind != "html" else {}
    if sidecar is not None:
        meta.update(_sidecar_meta(path, sidecar))
    return Document(path, article_id, text, kind, digest.hexdigest(), meta)


def content_hash(path: Path) -> str:
    """sha256 of the file's bytes followed by its sidecar's, read in blocks."""
    digest = hashlib.sha256()
    for part in (path, sidecar_path(path)):
        if part != path and not part.is_file():
            break
        try:
            with _open_regular(part) as handle:
                while block := handle.read(_HASH_BLOCK):
                    digest.update(block)
        except OSError as err:
            where = "" if part == path else f"sidecar {part.name}: "
            raise LoadError(path, where + _os_reason(err, part)) from None
    return digest.hexdigest()


def _open_regular(path: Path) -> BinaryIO:
    """Open for reading without ever blocking: a FIFO swapped in after ``discover`` would
    otherwise wait for a writer forever, holding the ingest lock."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise LoadError(path, "not a regular file")
    return os.fdopen(fd, "rb")


def _expand(given: Path, errors: list[LoadError]) -> Iterator[tuple[Path, str]]:
    try:
        info = given.stat()
    except OSError as err:
        errors.append(LoadError(given, _os_reason(err, given)))
        return
    if stat.S_ISDIR(info.st_mode):
        yield from _walk(given, errors)
    elif not stat.S_ISREG(info.st_mode):
        errors.append(LoadError(given, "not a regular file"))
    elif is_sidecar(given) or not kind_of(given):
        errors.append(LoadError(given, _unsupported(given)))
    elif _unfit(given):
        errors.append(LoadError(given, _unfit(given)))
    else:
        yield given, given.name


def _walk(root: Path, errors: list[LoadError]) -> Iterator[tuple[Path, str]]:
    def failed(err: OSError) -> None:
        where = Path(err.filename) if err.filename else root
        errors.append(LoadError(where, _os_reason(err, where)))

    for folder, dirs, files in os.walk(root, onerror=failed):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or is_sidecar(Path(name)) or not kind_of(name):
                continue
            file = Path(folder) / name
            problem = _unfit(file)
            if problem:
                errors.append(LoadError(file, problem))
                continue
            yield file, file.relative_to(root).as_posix()


def _unfit(file: Path) -> str:
    """Why a file found in a folder cannot be an article ("" if it may be): checked before
    anything opens it, so a FIFO never blocks and a loop or a bad name never aborts the run."""
    try:
        str(file).encode("utf-8")
    except UnicodeEncodeError:
        return "the file name is not valid UTF-8; rename the file"
    try:
        info = file.stat()
    except OSError as err:
        return _os_reason(err, file)
    return "" if stat.S_ISREG(info.st_mode) else "not a regular file"


def _real(path: Path) -> Path:
    """The file a path names, so one file reached twice is listed once."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return path.absolute()


def _regular_file_size(path: Path) -> int:
    try:
        info = path.stat()
    except OSError as err:
        raise LoadError(path, _os_reason(err, path)) from None
    if stat.S_ISDIR(info.st_mode):
        raise LoadError(path, "is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise LoadError(path, "not a regular file")
    return info.st_size


def _read(path: Path, max_bytes: int) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as err:
        raise LoadError(path, _os_reason(err, path)) from None
    if len(data) > max_bytes:
        raise LoadError(path, _too_large(len(data), max_bytes))
    return data


def _read_sidecar(path: Path) -> bytes | None:
    sidecar = sidecar_path(path)
    if not sidecar.is_file():
        return None
    try:
        return sidecar.read_bytes()
    except OSError as err:
        raise LoadError(path, f"sidecar {sidecar.name}: {_os_reason(err, sidecar)}") from None


def _sidecar_meta(path: Path, raw: bytes) -> dict[str, str]:
    try:
        return parse_sidecar(raw)
    except MetaError as err:
        raise LoadError(path, f"sidecar {sidecar_path(path).name}: {err}") from None


def _front_matter_meta(path: Path, text: str, *, strict: bool) -> dict[str, str]:
    """A .txt that opens with ``---`` and no valid YAML is just text; a .md is refused."""
    try:
        found = front_matter(text)
    except MetaError as err:
        if not strict:
            return {}
        raise LoadError(path, str(err)) from None
    try:
        return meta_fields(found[1]) if found else {}
    except MetaError as err:
        raise LoadError(path, str(err)) from None


def _decode(path: Path, data: bytes) -> str:
    _refuse_binary(path, data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise LoadError(
            path, f"not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start})"
        ) from None
    if _control_share(text[:_SNIFF]) > 0.1:
        raise LoadError(path, "binary file (mostly control characters, not text)")
    if not text.replace("\ufeff", "").strip():
        raise LoadError(path, "file contains only whitespace")
    return text


def _refuse_binary(path: Path, data: bytes) -> None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LoadError(path, "UTF-16 text is not supported; save the file as UTF-8")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise LoadError(path, f"binary file (NUL byte at offset {nul})")


def _control_share(sample: str) -> float:
    if not sample:
        return 0.0
    controls = sum(
        1 for ch in sample if ch not in "\t\n\r\f\v" and unicodedata.category(ch) == "Cc"
    )
    return controls / len(sample)


def _html(path: Path, data: bytes) -> tuple[str, dict[str, str]]:
    _refuse_binary(path, data)
    if not data.decode("utf-8", errors="replace").strip():
        raise LoadError(path, "file contains only whitespace")
    import trafilatura

    try:
        result = trafilatura.bare_extraction(
            data,
            with_metadata=True,
            include_comments=False,
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except Exception as err:  # a parser failure on one page must not stop a whole ingest
        raise LoadError(path, f"HTML could not be parsed ({type(err).__name__})") from None
    text = getattr(result, "text", None) or ""
    if not text.strip():
        raise LoadError(path, "no article text found in the HTML")
    return text, _html_meta(result)


def _html_meta(result: object) -> dict[str, str]:
    """Only what the page itself declares; dates through the same normalisation as the text's."""
    meta = {
        "title": " ".join(str(getattr(result, "title", None) or "").split()),
        "outlet": " ".join(str(getattr(result, "sitename", None) or "").split()),
        "byline": " ".join(str(getattr(result, "author", None) or "").split()),
        "published": normalise_date(str(getattr(result, "date", None) or "")),
    }
    return {k: v for k, v in meta.items() if v}


def _too_large(size: int, max_bytes: int) -> str:
    mb = 1024 * 1024
    return (
        f"file is {size / mb:.1f} MB, over the {max_bytes / mb:g} MB limit (chunking.max_file_mb)"
    )


def _unsupported(path: Path) -> str:
    if is_sidecar(path):
        return "a metadata sidecar, not an article (it is read with its article)"
    suffix = path.suffix or "(none)"
    return f"unsupported file type {suffix} (expected {', '.join(sorted(KINDS))})"


def _os_reason(err: OSError, path: Path) -> str:
    if isinstance(err, FileNotFoundError):
        return "broken symbolic link" if path.is_symlink() else "no such file or directory"
    if isinstance(err, PermissionError):
        return "permission denied"
    if isinstance(err, IsADirectoryError):
        return "is a directory, not a file"
    if err.errno == errno.ELOOP:
        return "symbolic link loop"
    return err.strerror or type(err).__name__
