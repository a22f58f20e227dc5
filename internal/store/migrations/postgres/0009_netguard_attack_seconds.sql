-- Per-class traffic of an IP, second by second, around its attacks: from 60 s before the
-- detector reports the attack to its end (at most 6 hours per attack), so that a pro-use
-- customer can test a protection profile on a past attack (Art. 9 Pro). One row per IP and
-- second, written once the second is settled (late flow records have arrived), replaced when an
-- overlapping recording writes it again. classes is JSON, {"udp-flood": [pps, bps, fps], ...},
-- read back whole; above lists the vectors the IP's own thresholds found above in that second
-- (comma-separated). classes is TEXT as on SQLite: it is read back whole, never queried.
-- Deleted with the traffic series (policy traffic_series_retention).
CREATE TABLE netguard_attack_seconds (
    ip TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    total_pps BIGINT NOT NULL,
    total_bps BIGINT NOT NULL,
    total_fps BIGINT NOT NULL,
    classes TEXT NOT NULL,
    above TEXT NOT NULL,
    PRIMARY KEY (ip, at)
);
CREATE INDEX netguard_attack_seconds_at ON netguard_attack_seconds (at);
