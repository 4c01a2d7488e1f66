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


def test_config_masks_credentials_inside_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.settings import load_settings, masked

    url = "http://alice:pa55@llm.example:8080/v1?api-key=s3cr3t&model=x&access_token=t0k"
    monkeypatch.setenv("ASSISTANT_OPENAI__BASE_URL", url)
    monkeypatch.setenv("ASSISTANT_EMBEDDING__BASE_URL", "https://tok3n@emb.example/v1")
    shown = masked(load_settings())
    text = repr(shown)
    for secret in ("alice", "pa55", "s3cr3t", "t0k", "tok3n"):
        assert secret not in text
    assert shown["openai"]["base_url"] == (
        "http://***@llm.example:8080/v1?api-key=***&model=x&access_token=***"
    )
    assert shown["embedding"]["base_url"] == "https://***@emb.example/v1"
    assert shown["store"]["host"] == "127.0.0.1"


def config_error(monkeypatch: pytest.MonkeyPatch, **overrides: object) -> str:
    from assistant.errors import ConfigError
    from assistant.settings import load_settings

    with pytest.raises(ConfigError) as err:
        load_settings(**overrides)
    assert err.value.exit_code == 10
    message = str(err.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("var", "value", "expected"),
    [
        ("ASSISTANT_RETRIEVAL__K", "abc", "retrieval.k = 'abc' (environment variable "
         "ASSISTANT_RETRIEVAL__K): Input should be a valid integer"),
        ("ASSISTANT_STORE__PORT", "99999", "store.port = '99999' (environment variable "
         "ASSISTANT_STORE__PORT): Input should be less than or equal to 65535"),
        ("ASSISTANT_OPENAI__TIMEOUT", "-5", "openai.timeout = '-5' (environment variable "
         "ASSISTANT_OPENAI__TIMEOUT): Input should be greater than 0"),
        ("ASSISTANT_DATA_DIR", "/etc/passwd", "data_dir = '/etc/passwd' (environment variable "
         "ASSISTANT_DATA_DIR): /etc/passwd is a file; this setting takes a folder"),
        ("ASSISTANT_STORE", "x", "store (environment variable ASSISTANT_STORE): a table of "
         "settings, not one value"),
    ],
)  # fmt: skip
def test_a_bad_environment_variable_is_named(
    var: str, value: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(var, value)
    assert config_error(monkeypatch).startswith(expected)


def test_a_bad_flag_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    message = config_error(monkeypatch, answer={"backend": "foo"})
    assert message.startswith("answer.backend = 'foo' (command line --backend): Input should be")
    assert "'extractive'" in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"[retrieval\n", "{path}: not valid TOML: Expected ']' at the end of a table declaration"
         " (at line 1, column 11)"),
        (b"[store]\nhost = 'x'\n\n[retrieval]\nk = 5\nfetch_k = \"many\"\n",
         "retrieval.fetch_k = 'many' ({path}:6): Input should be a valid integer"),
        (b"[answer]\nbackend = \"\xff\"\n", "{path}: the config file is not UTF-8 (byte 20)"),
    ],
)  # fmt: skip
def test_a_bad_config_file_is_named_with_its_line(
    content: bytes, expected: str, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(content)
    monkeypatch.setenv("ASSISTANT_CONFIG", str(path))
    assert config_error(monkeypatch).startswith(expected.format(path=path))


def test_a_config_path_that_is_a_folder_is_named(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_CONFIG", str(tmp_path))
    assert config_error(monkeypatch) == f"{tmp_path}: a folder, not a TOML file (ASSISTANT_CONFIG)"
