"""Errors a user can act on. Each carries a one-line message and the CLI's exit code.

Exit codes (documented in the README and docs/answer-json.md): 0 ok, 1 any other error a user
can act on, 2 bad input (question, flags, files), 3 no usable index, 4 the model endpoint
failed, 5 the store is busy or locked, 6 the index was built with another embedding model,
7 some files were not ingested (the others were), 8 an eval scored below its floors or
regressed, 9 a confirmation was declined, 10 bad configuration, 11 the vector store server
cannot be reached, 12 the index is damaged (run `assistant ingest --repair`); 70 is a bug,
130 an interrupt.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_INPUT = 2
EXIT_NO_INDEX = 3
EXIT_ENDPOINT = 4
EXIT_BUSY = 5
EXIT_MODEL_MISMATCH = 6
EXIT_PARTIAL_INGEST = 7
EXIT_BELOW_FLOORS = 8
EXIT_DECLINED = 9
EXIT_CONFIG = 10
EXIT_STORE_UNREACHABLE = 11
EXIT_INDEX_DAMAGED = 12
EXIT_BUG = 70
EXIT_INTERRUPTED = 130


class AssistantError(Exception):
    """Base class: ``str(err)`` is the one line shown to the user."""

    exit_code = EXIT_ERROR
    kind = "error"


class InputError(AssistantError):
    exit_code = EXIT_INPUT
    kind = "input"


class NotFoundError(InputError):
    """An article or session id that does not exist (HTTP 404)."""

    kind = "not-found"


class IndexMissingError(AssistantError):
    exit_code = EXIT_NO_INDEX
    kind = "index"


class EndpointError(AssistantError):
    exit_code = EXIT_ENDPOINT
    kind = "endpoint"


class StoreBusyError(AssistantError):
    exit_code = EXIT_BUSY
    kind = "busy"


class ModelMismatchError(AssistantError):
    exit_code = EXIT_MODEL_MISMATCH
    kind = "model-mismatch"


class ConfigError(AssistantError):
    """A setting with a value it cannot take: the message names it, where it came from and
    what is allowed."""

    exit_code = EXIT_CONFIG
    kind = "config"


class StoreUnreachableError(AssistantError):
    """The Chroma server (store.mode = "server") refused or dropped the connection."""

    exit_code = EXIT_STORE_UNREACHABLE
    kind = "store-unreachable"


class StoreConflictError(AssistantError):
    """The vector collection belongs to another data dir's index (a shared Chroma server)."""

    exit_code = EXIT_NO_INDEX
    kind = "store-conflict"


class IndexDamagedError(AssistantError):
    """The catalog lists chunks the vector store no longer holds."""

    exit_code = EXIT_INDEX_DAMAGED
    kind = "index-damaged"
