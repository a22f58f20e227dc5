-- BMC console sessions handed to customers: a short-lived BMC credential, revoked when the
-- session ends (expiry or close). The password is never stored.
CREATE TABLE console_sessions (
    id INTEGER PRIMARY KEY,
    server_id INTEGER NOT NULL REFERENCES servers (id),
    customer_id INTEGER NOT NULL,
    machine_id INTEGER NOT NULL REFERENCES machines (id),
    kind TEXT NOT NULL CHECK (kind IN ('graphical', 'serial')),
    connect_types TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '',
    username TEXT NOT NULL DEFAULT '',
    ref TEXT NOT NULL DEFAULT '',
    opened_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    closed_at TEXT,
    close_reason TEXT NOT NULL DEFAULT '',
    revoked_at TEXT,
    revoke_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX console_sessions_server ON console_sessions (server_id, id);
CREATE INDEX console_sessions_unrevoked ON console_sessions (expires_at) WHERE revoked_at IS NULL;
