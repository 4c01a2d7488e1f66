"""Chat sessions: the SQLite store and its exports."""

from assistant.sessions.store import Message, Session, SessionStore

__all__ = ["Message", "Session", "SessionStore"]
