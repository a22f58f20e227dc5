-- Staff edge rules (netguard): filters the NOC writes toward a customer address or a prefix
-- (carpet bombing). A rule wider than one address reaches the edge only once a second staff
-- member approved it.
CREATE TABLE netguard_staff_rules (
    id INTEGER PRIMARY KEY,
    prefix TEXT NOT NULL,
    vectors TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    requested_by INTEGER NOT NULL REFERENCES accounts (id),
    requested_at TEXT NOT NULL,
    approved_by INTEGER REFERENCES accounts (id),
    approved_at TEXT
);
