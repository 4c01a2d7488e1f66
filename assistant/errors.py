"""Errors a user can act on. Each carries a one-line message and the CLI's exit code.

Exit codes (documented in the README): 0 ok, 1 some input files failed to ingest,
2 bad input (question, flags, files), 3 no usable index, 4 the model endpoint failed,
5 the store is busy or locked, 6 the index was built with another embedding model.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class: ``str(err)`` is the one line shown to the user."""

    exit_code = 1
    kind = "error"


class InputError(AssistantError):
    exit_code = 2
    kind = "input"


class IndexMissingError(AssistantError):
    exit_code = 3
    kind = "index"


class EndpointError(AssistantError):
    exit_code = 4
    kind = "endpoint"


class StoreBusyError(AssistantError):
    exit_code = 5
    kind = "busy"


class ModelMismatchError(AssistantError):
    exit_code = 6
    kind = "model-mismatch"
