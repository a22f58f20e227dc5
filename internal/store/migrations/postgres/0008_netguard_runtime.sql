-- Runtime status of netguard (the collector's exporters, the edge's rule set and BGP sessions):
-- the latest snapshot each process running the collector or edge role publishes every few
-- seconds, as JSON, so that a process without the role (api, web) shows it. A snapshot older
-- than a few publish periods is stale: its process stopped. The body is TEXT as on SQLite: it
-- is read back whole, never queried.
CREATE TABLE netguard_runtime (
    kind TEXT NOT NULL,
    node TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, node)
);
