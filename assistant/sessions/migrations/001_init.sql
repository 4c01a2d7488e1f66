-- Sessions and their messages. A message row is written whole or not at all.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    turn INTEGER NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content TEXT NOT NULL,
    answer_json TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (session_id, turn, role)
);

CREATE INDEX messages_by_session ON messages (session_id, turn);
CREATE INDEX sessions_by_update ON sessions (updated_at);
