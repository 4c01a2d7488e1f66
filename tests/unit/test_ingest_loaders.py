"""Finding and reading files: refusals with one-line reasons, ids, hashes, exact text."""

from __future__ import annotations

import hashlib
import os
import pickle
import time
from pathlib import Path

import pytest

from assistant.ingest.loaders import LoadError, content_hash, discover, load
from assistant.ingest.prepare import prepare
from assistant.settings import load_settings

MB = 1024 * 1024
LIMIT = 20 * MB
BODY = "The envoys met on Thursday. They agreed to keep talking about climate cooperation.\n"


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def reason(path: Path, limit: int = LIMIT) -> str:
    with pytest.raises(LoadError) as info:
        load(path, path.name, limit)
    err = info.value
    assert str(err) == f"{path}: {err.reason}"
    assert "\n" not in err.reason
    return err.reason


def test_empty_file(tmp_path: Path) -> None:
    assert reason(write(tmp_path / "a.txt", b"")) == "empty file"


def test_whitespace_only_file(tmp_path: Path) -> None:
    assert "only whitespace" in reason(write(tmp_path / "a.txt", " \n\t\r\n\u00a0\n"))


def test_binary_file_with_nul_bytes(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    assert "binary" in reason(write(tmp_path / "a.txt", png))


def test_binary_file_of_control_characters(tmp_path: Path) -> None:
    assert "binary" in reason(write(tmp_path / "a.txt", bytes(range(1, 32)) * 40))


def test_utf16_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", "Hello world.\n".encode("utf-16"))
    assert "UTF-16" in reason(path)


def test_non_utf8_file_names_the_byte_offset(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", b"Caf\xe9 au lait, said the envoy.\n")
    got = reason(path)
    assert "UTF-8" in got
    assert "offset 3" in got
    assert "0xe9" in got


def test_missing_file(tmp_path: Path) -> None:
    assert reason(tmp_path / "missing.txt") == "no such file or directory"


def test_dangling_symlink(tmp_path: Path) -> None:
    link = tmp_path / "link.txt"
    link.symlink_to(tmp_path / "gone.txt")
    assert reason(link) == "broken symbolic link"


def test_directory_named_like_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    assert "directory" in reason(folder)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads chmod 000 files")
def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", BODY)
    path.chmod(0)
    try:
        assert reason(path) == "permission denied"
    finally:
        path.chmod(0o644)


def test_large_file_is_refused_by_size_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    with path.open("wb") as handle:
        handle.truncate(50 * MB)  # sparse: no 50 MB written or read
    began = time.perf_counter()
    got = reason(path)
    assert time.perf_counter() - began < 0.5
    assert "50.0 MB" in got
    assert "20 MB limit" in got


def test_unsupported_extension_named_explicitly(tmp_path: Path) -> None:
    path = write(tmp_path / "report.pdf", BODY)
    assert "unsupported file type .pdf" in reason(path)
    found, errors = discover([path])
    assert found == []
    assert [e.reason for e in errors] == [reason(path)]


def test_sidecar_named_explicitly_is_not_an_article(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt.meta.yaml", "title: x\n")
    _, errors = discover([path])
    assert "sidecar" in errors[0].reason


def test_load_error_survives_pickling(tmp_path: Path) -> None:
    err = LoadError(tmp_path / "a.txt", "empty file")
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.path, copy.reason, str(copy)) == (err.path, err.reason, str(err))


def test_discover_walks_folders_and_skips_what_is_not_an_article(tmp_path: Path) -> None:
    root = tmp_path / "in"
    write(root / "b.txt", BODY)
    write(root / "a.md", BODY)
    write(root / "sub" / "deeper" / "c.html", "<p>x</p>")
    write(root / "sub" / "d.htm", "<p>x</p>")
    write(root / "b.txt.meta.yaml", "title: B\n")
    write(root / ".hidden.txt", BODY)
    write(root / ".git" / "e.txt", BODY)
    write(root / "notes.pdf", BODY)
    write(root / "image.png", b"\x89PNG")
    found, errors = discover([root])
    assert errors == []
    assert [i for _, i in found] == ["a.md", "b.txt", "sub/d.htm", "sub/deeper/c.html"]
    assert found[3][0] == root / "sub" / "deeper" / "c.html"


def test_discover_reports_missing_paths_and_keeps_going(tmp_path: Path) -> None:
    good = write(tmp_path / "a.txt", BODY)
    found, errors = discover([tmp_path / "nope", good])
    assert found == [(good, "a.txt")]
    assert [(e.path, e.reason) for e in errors] == [
        (tmp_path / "nope", "no such file or directory")
    ]


def test_discover_deduplicates_and_flags_clashing_ids(tmp_path: Path) -> None:
    first = write(tmp_path / "one" / "a.txt", BODY)
    other = write(tmp_path / "two" / "a.txt", BODY)
    found, errors = discover([first, tmp_path / "one", other])
    assert found == [(first, "a.txt")]
    assert len(errors) == 1
    assert "duplicate article id 'a.txt'" in errors[0].reason


def test_text_is_the_exact_decoded_bytes(tmp_path: Path) -> None:
    raw = "\ufeffTitle line\r\n\r\nBody one.\r\nBody two.\r\n".encode()
    doc = load(write(tmp_path / "a.txt", raw), "a.txt", LIMIT)
    assert doc.text == raw.decode("utf-8")
    assert doc.text[0] == "\ufeff"
    assert doc.kind == "txt"


def test_content_hash_covers_the_sidecar(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", BODY)
    plain = content_hash(path)
    assert plain == hashlib.sha256(BODY.encode()).hexdigest()
    assert load(path, "a.txt", LIMIT).content_hash == plain
    write(tmp_path / "a.txt.meta.yaml", "outlet: Example News\n")
    with_sidecar = content_hash(path)
    assert with_sidecar != plain
    assert load(path, "a.txt", LIMIT).content_hash == with_sidecar
    write(tmp_path / "a.txt.meta.yaml", "outlet: Other News\n")
    assert content_hash(path) not in (plain, with_sidecar)


def test_content_hash_of_a_missing_file_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError):
        content_hash(tmp_path / "missing.txt")


def test_prepare_refuses_a_file_with_nothing_left_after_cleaning(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", "Photo: Xinhua\n\nAll rights reserved.\n")
    with pytest.raises(LoadError, match="no article text left after cleaning"):
        prepare(path, "a.txt", load_settings())


def test_prepare_honours_the_size_setting(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", BODY * 20)
    with pytest.raises(LoadError, match="limit"):
        prepare(path, "a.txt", load_settings(chunking={"max_file_mb": 0.001}))


def test_discover_lists_a_file_reached_twice_once(tmp_path: Path) -> None:
    inner = write(tmp_path / "in" / "sub" / "a.txt", BODY)
    found, errors = discover([tmp_path / "in", inner])
    assert (found, errors) == ([(inner, "sub/a.txt")], [])
