CREATE TABLE fleet_racks (
    datacenter TEXT NOT NULL,
    name TEXT NOT NULL,
    units INTEGER NOT NULL CHECK (units > 0),
    datacenter_name TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (datacenter, name)
);

CREATE TABLE machines (
    id INTEGER PRIMARY KEY,
    serial TEXT NOT NULL UNIQUE,
    datacenter TEXT NOT NULL,
    rack TEXT NOT NULL,
    u INTEGER NOT NULL,
    height_u INTEGER NOT NULL DEFAULT 1,
    profile TEXT NOT NULL,
    range_code TEXT NOT NULL DEFAULT '',
    manufacturer TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    bmc_driver TEXT NOT NULL,
    bmc_address TEXT NOT NULL,
    bmc_username TEXT NOT NULL DEFAULT '',
    bmc_secret TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL CHECK (state IN ('enrolling', 'inspecting', 'available', 'reserved', 'deploying', 'deployed',
        'suspended', 'releasing', 'wiping', 'maintenance')),
    state_since TEXT NOT NULL,
    server_id INTEGER,
    desired_power TEXT NOT NULL DEFAULT 'off',
    observed_power TEXT NOT NULL DEFAULT 'unknown',
    observed_at TEXT,
    observed_error TEXT NOT NULL DEFAULT '',
    failure TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX machines_pick ON machines (state, profile, datacenter, id);
CREATE UNIQUE INDEX machines_server ON machines (server_id);

CREATE TABLE machine_components (
    id INTEGER PRIMARY KEY,
    machine_id INTEGER NOT NULL REFERENCES machines (id),
    kind TEXT NOT NULL CHECK (kind IN ('cpu', 'memory', 'disk', 'nic', 'psu', 'other')),
    model TEXT NOT NULL DEFAULT '',
    serial TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    installed_at TEXT NOT NULL,
    removed_at TEXT
);
CREATE INDEX machine_components_machine ON machine_components (machine_id, id);

CREATE TABLE machine_transitions (
    id INTEGER PRIMARY KEY,
    machine_id INTEGER NOT NULL REFERENCES machines (id),
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id INTEGER,
    actor_label TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX machine_transitions_machine ON machine_transitions (machine_id, id);

CREATE TABLE servers (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES accounts (id),
    order_ref TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    plan TEXT NOT NULL,
    range_code TEXT NOT NULL DEFAULT '',
    profile TEXT NOT NULL,
    datacenter TEXT NOT NULL DEFAULT '',
    machine_id INTEGER,
    state TEXT NOT NULL CHECK (state IN ('delivering', 'active', 'suspended', 'reinstalling', 'rescue', 'networkCut',
        'terminating', 'terminated')),
    os_image TEXT NOT NULL,
    hostname TEXT NOT NULL DEFAULT '',
    ssh_key TEXT NOT NULL DEFAULT '',
    duration_months INTEGER NOT NULL DEFAULT 1,
    support_level TEXT NOT NULL DEFAULT '',
    desired_power TEXT NOT NULL DEFAULT 'on',
    delivered_at TEXT,
    terminated_at TEXT,
    terminate_at TEXT,
    rescue_until TEXT,
    probe_failures INTEGER NOT NULL DEFAULT 0,
    probed_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX servers_customer ON servers (customer_id, id);
CREATE INDEX servers_state ON servers (state, id);

CREATE TABLE ip_pools (
    id INTEGER PRIMARY KEY,
    family INTEGER NOT NULL CHECK (family IN (4, 6)),
    prefix TEXT NOT NULL UNIQUE,
    datacenter TEXT NOT NULL DEFAULT '',
    reserved_head INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE ip_addresses (
    id INTEGER PRIMARY KEY,
    address TEXT NOT NULL UNIQUE,
    family INTEGER NOT NULL CHECK (family IN (4, 6)),
    pool_id INTEGER NOT NULL REFERENCES ip_pools (id),
    n INTEGER NOT NULL,
    server_id INTEGER REFERENCES servers (id),
    customer_id INTEGER,
    kind TEXT NOT NULL CHECK (kind IN ('main', 'additional', 'ipv6')),
    reverse TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL CHECK (state IN ('assigned', 'quarantined')),
    assigned_at TEXT NOT NULL,
    released_at TEXT,
    available_at TEXT,
    UNIQUE (pool_id, n)
);
CREATE INDEX ip_addresses_server ON ip_addresses (server_id);
CREATE INDEX ip_addresses_customer ON ip_addresses (customer_id);
CREATE INDEX ip_addresses_free ON ip_addresses (pool_id, state, available_at);

CREATE TABLE ip_history (
    id INTEGER PRIMARY KEY,
    address TEXT NOT NULL,
    server_id INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    assigned_at TEXT NOT NULL,
    released_at TEXT
);
CREATE INDEX ip_history_address ON ip_history (address, assigned_at);

CREATE TABLE fleet_tasks (
    id INTEGER PRIMARY KEY,
    server_id INTEGER NOT NULL REFERENCES servers (id),
    customer_id INTEGER NOT NULL,
    function TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('todo', 'doing', 'done', 'customerError', 'providerError', 'cancelled')),
    progress TEXT NOT NULL DEFAULT '[]',
    comment TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    started_at TEXT,
    done_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX fleet_tasks_server ON fleet_tasks (server_id, id);

CREATE TABLE deployments (
    id INTEGER PRIMARY KEY,
    server_id INTEGER NOT NULL REFERENCES servers (id),
    machine_id INTEGER NOT NULL REFERENCES machines (id),
    task_id INTEGER NOT NULL REFERENCES fleet_tasks (id),
    kind TEXT NOT NULL CHECK (kind IN ('delivery', 'reinstall')),
    image TEXT NOT NULL,
    hostname TEXT NOT NULL DEFAULT '',
    ssh_key TEXT NOT NULL DEFAULT '',
    preserve_data INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL CHECK (state IN ('running', 'done', 'timedOut', 'failed')),
    attempt INTEGER NOT NULL DEFAULT 1,
    started_at TEXT NOT NULL,
    deadline TEXT NOT NULL,
    ended_at TEXT,
    failure TEXT NOT NULL DEFAULT ''
);
CREATE INDEX deployments_running ON deployments (state, deadline);
CREATE INDEX deployments_server ON deployments (server_id, id);

CREATE TABLE server_secrets (
    id INTEGER PRIMARY KEY,
    server_id INTEGER NOT NULL REFERENCES servers (id),
    task_id INTEGER NOT NULL UNIQUE REFERENCES fleet_tasks (id),
    kind TEXT NOT NULL CHECK (kind IN ('root', 'rescue')),
    username TEXT NOT NULL,
    sealed TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    revealed_at TEXT
);

CREATE TABLE incidents (
    id INTEGER PRIMARY KEY,
    server_id INTEGER REFERENCES servers (id),
    machine_id INTEGER REFERENCES machines (id),
    customer_id INTEGER,
    kind TEXT NOT NULL CHECK (kind IN ('unreachable', 'hardware', 'deployTimeout', 'network', 'other')),
    origin TEXT NOT NULL CHECK (origin IN ('probe', 'customer', 'staff', 'system')),
    description TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
    opened_at TEXT NOT NULL,
    acknowledged_at TEXT,
    resolved_at TEXT,
    expected_end TEXT,
    long_notified_at TEXT,
    resolution TEXT NOT NULL DEFAULT ''
);
CREATE INDEX incidents_status ON incidents (status, opened_at);
CREATE INDEX incidents_server ON incidents (server_id, id);

CREATE TABLE interventions (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER REFERENCES incidents (id),
    machine_id INTEGER NOT NULL REFERENCES machines (id),
    server_id INTEGER,
    kind TEXT NOT NULL CHECK (kind IN ('diagnosis', 'partReplacement', 'reboot', 'other')),
    notes TEXT NOT NULL DEFAULT '',
    part_kind TEXT NOT NULL DEFAULT '',
    old_serial TEXT NOT NULL DEFAULT '',
    new_serial TEXT NOT NULL DEFAULT '',
    technician_id INTEGER,
    technician TEXT NOT NULL,
    at TEXT NOT NULL,
    expected_end TEXT
);
CREATE INDEX interventions_machine ON interventions (machine_id, id);
CREATE INDEX interventions_server ON interventions (server_id, id);

CREATE TABLE maintenances (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    cancelled_at TEXT
);
CREATE INDEX maintenances_time ON maintenances (ends_at, starts_at);

CREATE TABLE maintenance_servers (
    maintenance_id INTEGER NOT NULL REFERENCES maintenances (id),
    server_id INTEGER NOT NULL REFERENCES servers (id),
    PRIMARY KEY (maintenance_id, server_id)
);
CREATE INDEX maintenance_servers_server ON maintenance_servers (server_id);
