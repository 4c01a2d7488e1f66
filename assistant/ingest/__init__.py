"""Files → articles, their text and chunks with offsets. Pure functions: no storage, no models."""

from assistant.ingest.loaders import Document, LoadError, discover, load
from assistant.ingest.prepare import Prepared, content_hash, prepare

__all__ = ["Document", "LoadError", "Prepared", "content_hash", "discover", "load", "prepare"]
