CREATE TABLE netguard_ips (
    ip TEXT PRIMARY KEY,
    customer_id INTEGER,
    pro_use INTEGER NOT NULL DEFAULT 0,
    profile TEXT NOT NULL DEFAULT 'default',
    state TEXT NOT NULL DEFAULT 'off' CHECK (state IN ('off', 'auto', 'permanent', 'forced')),
    since TEXT,
    min_until TEXT,
    level INTEGER NOT NULL DEFAULT 0 CHECK (level BETWEEN 0 AND 3),
    vectors TEXT NOT NULL DEFAULT '',
    last_above TEXT,
    attack_id INTEGER,
    ended_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX netguard_ips_active ON netguard_ips (state) WHERE state <> 'off';

CREATE TABLE netguard_attacks (
    id INTEGER PRIMARY KEY,
    ip TEXT NOT NULL DEFAULT '',
    prefix TEXT NOT NULL DEFAULT '',
    customer_id INTEGER,
    profile TEXT NOT NULL DEFAULT '',
    started_at TEXT NOT NULL,
    ended_at TEXT,
    last_above TEXT NOT NULL,
    vectors TEXT NOT NULL DEFAULT '',
    peak_bps INTEGER NOT NULL DEFAULT 0,
    peak_pps INTEGER NOT NULL DEFAULT 0,
    peak_severity REAL NOT NULL DEFAULT 0,
    level INTEGER NOT NULL DEFAULT 0,
    top_sources TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX netguard_attacks_ip ON netguard_attacks (ip, id);
CREATE INDEX netguard_attacks_started ON netguard_attacks (started_at);
CREATE INDEX netguard_attacks_open ON netguard_attacks (id) WHERE ended_at IS NULL;
CREATE INDEX netguard_attacks_ended ON netguard_attacks (ended_at);

CREATE TABLE netguard_traffic (
    ip TEXT NOT NULL,
    scale TEXT NOT NULL CHECK (scale IN ('10s', '1m', '5m')),
    at TEXT NOT NULL,
    in_bps INTEGER NOT NULL,
    in_pps INTEGER NOT NULL,
    dropped_bps INTEGER NOT NULL,
    dropped_pps INTEGER NOT NULL,
    out_bps INTEGER NOT NULL,
    out_pps INTEGER NOT NULL,
    PRIMARY KEY (ip, scale, at)
);
CREATE INDEX netguard_traffic_at ON netguard_traffic (at);
