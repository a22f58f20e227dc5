index api_tokens_account: CREATE INDEX api_tokens_account ON api_tokens (account_id)
index audit_log_customer: CREATE INDEX audit_log_customer ON audit_log (customer_id, id)
index catalog_prices_plan: CREATE INDEX catalog_prices_plan ON catalog_prices (plan_code, duration_months, valid_from)
index console_sessions_server: CREATE INDEX console_sessions_server ON console_sessions (server_id, id)
index console_sessions_unrevoked: CREATE INDEX console_sessions_unrevoked ON console_sessions (expires_at) WHERE revoked_at IS NULL
index contracts_customer: CREATE INDEX contracts_customer ON contracts (customer_id, id)
index contracts_due: CREATE INDEX contracts_due ON contracts (status, renew_mode, id)
index deployments_running: CREATE INDEX deployments_running ON deployments (state, deadline)
index deployments_server: CREATE INDEX deployments_server ON deployments (server_id, id)
index fleet_tasks_server: CREATE INDEX fleet_tasks_server ON fleet_tasks (server_id, id)
index incidents_server: CREATE INDEX incidents_server ON incidents (server_id, id)
index incidents_status: CREATE INDEX incidents_status ON incidents (status, opened_at)
index interventions_machine: CREATE INDEX interventions_machine ON interventions (machine_id, id)
index interventions_server: CREATE INDEX interventions_server ON interventions (server_id, id)
index invoices_customer: CREATE INDEX invoices_customer ON invoices (customer_id, id)
index invoices_status: CREATE INDEX invoices_status ON invoices (status, due_at)
index ip_addresses_customer: CREATE INDEX ip_addresses_customer ON ip_addresses (customer_id)
index ip_addresses_free: CREATE INDEX ip_addresses_free ON ip_addresses (pool_id, state, available_at)
index ip_addresses_server: CREATE INDEX ip_addresses_server ON ip_addresses (server_id)
index ip_history_address: CREATE INDEX ip_history_address ON ip_history (address, assigned_at)
index jobs_due: CREATE INDEX jobs_due ON jobs (state, run_at, id)
index machine_components_machine: CREATE INDEX machine_components_machine ON machine_components (machine_id, id)
index machine_transitions_machine: CREATE INDEX machine_transitions_machine ON machine_transitions (machine_id, id)
index machines_pick: CREATE INDEX machines_pick ON machines (state, profile, datacenter, id)
index machines_server: CREATE UNIQUE INDEX machines_server ON machines (server_id)
index maintenance_servers_server: CREATE INDEX maintenance_servers_server ON maintenance_servers (server_id)
index maintenances_time: CREATE INDEX maintenances_time ON maintenances (ends_at, starts_at)
index netguard_attack_seconds_at: CREATE INDEX netguard_attack_seconds_at ON netguard_attack_seconds (at)
index netguard_attacks_ended: CREATE INDEX netguard_attacks_ended ON netguard_attacks (ended_at)
index netguard_attacks_ip: CREATE INDEX netguard_attacks_ip ON netguard_attacks (ip, id)
index netguard_attacks_open: CREATE INDEX netguard_attacks_open ON netguard_attacks (id) WHERE ended_at IS NULL
index netguard_attacks_started: CREATE INDEX netguard_attacks_started ON netguard_attacks (started_at)
index netguard_ips_active: CREATE INDEX netguard_ips_active ON netguard_ips (state) WHERE state <> 'off'
index netguard_traffic_at: CREATE INDEX netguard_traffic_at ON netguard_traffic (at)
index notices_account: CREATE INDEX notices_account ON notices (account_id, id)
index notices_status: CREATE INDEX notices_status ON notices (status, id)
index orders_customer: CREATE INDEX orders_customer ON orders (customer_id, id)
index orders_deadline: CREATE INDEX orders_deadline ON orders (status, delivery_deadline)
index payments_customer: CREATE INDEX payments_customer ON payments (customer_id, id)
index payments_status: CREATE INDEX payments_status ON payments (method, status, id)
index refunds_customer: CREATE INDEX refunds_customer ON refunds (customer_id, id)
index renewals_invoice: CREATE INDEX renewals_invoice ON renewals (invoice_id)
index servers_customer: CREATE INDEX servers_customer ON servers (customer_id, id)
index servers_state: CREATE INDEX servers_state ON servers (state, id)
index sessions_account: CREATE INDEX sessions_account ON sessions (account_id)
index suspensions_contract: CREATE INDEX suspensions_contract ON suspensions (contract_id, id)
table accounts: CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('customer', 'staff')),
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    language TEXT NOT NULL DEFAULT 'fr' CHECK (language IN ('fr', 'en')),
    password_hash TEXT NOT NULL,
    totp_secret TEXT NOT NULL DEFAULT '',
    totp_enabled INTEGER NOT NULL DEFAULT 0,
    totp_last_step INTEGER NOT NULL DEFAULT 0,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
)
table api_tokens: CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    last_used_at TEXT,
    revoked_at TEXT
)
table audit_log: CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id INTEGER,
    actor_label TEXT NOT NULL,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    customer_id INTEGER,
    details TEXT NOT NULL DEFAULT '{}',
    request_id TEXT NOT NULL DEFAULT '',
    ip TEXT NOT NULL DEFAULT ''
)
table catalog_options: CREATE TABLE catalog_options (
    code TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('proUse', 'edgeFirewall', 'licence', 'extraIp')),
    name_fr TEXT NOT NULL,
    name_en TEXT NOT NULL,
    monthly_cents INTEGER NOT NULL CHECK (monthly_cents >= 0),
    setup_cents INTEGER NOT NULL DEFAULT 0 CHECK (setup_cents >= 0),
    max_quantity INTEGER NOT NULL DEFAULT 1 CHECK (max_quantity >= 1),
    requires TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    position INTEGER NOT NULL DEFAULT 0
)
table catalog_plans: CREATE TABLE catalog_plans (
    code TEXT PRIMARY KEY,
    range_code TEXT NOT NULL REFERENCES catalog_ranges (code),
    name TEXT NOT NULL,
    cpu TEXT NOT NULL,
    cores INTEGER NOT NULL,
    ram_gib INTEGER NOT NULL,
    disks TEXT NOT NULL DEFAULT '[]',
    nic TEXT NOT NULL,
    os_images TEXT NOT NULL DEFAULT '[]',
    active INTEGER NOT NULL DEFAULT 1,
    position INTEGER NOT NULL DEFAULT 0
)
table catalog_prices: CREATE TABLE catalog_prices (
    id INTEGER PRIMARY KEY,
    plan_code TEXT NOT NULL REFERENCES catalog_plans (code),
    duration_months INTEGER NOT NULL CHECK (duration_months > 0),
    setup_cents INTEGER NOT NULL CHECK (setup_cents >= 0),
    recurring_cents INTEGER NOT NULL CHECK (recurring_cents > 0),
    currency TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT ''
)
table catalog_ranges: CREATE TABLE catalog_ranges (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description_fr TEXT NOT NULL DEFAULT '',
    description_en TEXT NOT NULL DEFAULT '',
    support_level TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0
)
table catalog_stock: CREATE TABLE catalog_stock (
    plan_code TEXT PRIMARY KEY REFERENCES catalog_plans (code),
    free INTEGER NOT NULL DEFAULT 0 CHECK (free >= 0)
)
table console_sessions: CREATE TABLE console_sessions (
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
)
table contract_extensions: CREATE TABLE contract_extensions (
    contract_id INTEGER NOT NULL REFERENCES contracts (id),
    term_no INTEGER NOT NULL,
    renewal_id INTEGER NOT NULL REFERENCES renewals (id),
    payment_id INTEGER,
    extended_at TEXT NOT NULL,
    PRIMARY KEY (contract_id, term_no)
)
table contracts: CREATE TABLE contracts (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES accounts (id),
    order_id INTEGER NOT NULL UNIQUE REFERENCES orders (id),
    plan_code TEXT NOT NULL,
    range_code TEXT NOT NULL,
    plan_name TEXT NOT NULL,
    duration_months INTEGER NOT NULL,
    currency TEXT NOT NULL,
    term_lines TEXT NOT NULL,
    term_excl_tax_cents INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    term_no INTEGER NOT NULL DEFAULT 1,
    term_start TEXT NOT NULL,
    term_end TEXT NOT NULL,
    renew_mode TEXT NOT NULL CHECK (renew_mode IN ('automatic', 'manual')),
    status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'terminated')),
    terminate_at TEXT,
    terminated_at TEXT,
    termination_reason TEXT NOT NULL DEFAULT '',
    server_ref TEXT NOT NULL DEFAULT '',
    main_ip TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
)
table customers: CREATE TABLE customers (
    account_id INTEGER PRIMARY KEY REFERENCES accounts (id),
    type TEXT NOT NULL CHECK (type IN ('person', 'company')),
    company_name TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    postal_code TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL,
    siren TEXT NOT NULL DEFAULT '',
    vat_number TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT ''
)
table deployments: CREATE TABLE deployments (
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
)
table dunning_steps: CREATE TABLE dunning_steps (
    invoice_id INTEGER NOT NULL REFERENCES invoices (id),
    step TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (invoice_id, step)
)
table fleet_racks: CREATE TABLE fleet_racks (
    datacenter TEXT NOT NULL,
    name TEXT NOT NULL,
    units INTEGER NOT NULL CHECK (units > 0),
    datacenter_name TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (datacenter, name)
)
table fleet_tasks: CREATE TABLE fleet_tasks (
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
)
table incidents: CREATE TABLE incidents (
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
)
table interventions: CREATE TABLE interventions (
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
)
table invoice_sequences: CREATE TABLE invoice_sequences (
    series TEXT NOT NULL,
    year INTEGER NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (series, year)
)
table invoices: CREATE TABLE invoices (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('invoice', 'creditNote')),
    series TEXT NOT NULL,
    year INTEGER NOT NULL,
    seq INTEGER NOT NULL CHECK (seq > 0),
    number TEXT NOT NULL UNIQUE,
    customer_id INTEGER NOT NULL REFERENCES accounts (id),
    language TEXT NOT NULL,
    customer TEXT NOT NULL,
    seller TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    due_at TEXT NOT NULL,
    currency TEXT NOT NULL,
    lines TEXT NOT NULL,
    vat_totals TEXT NOT NULL,
    total_excl_tax_cents INTEGER NOT NULL,
    tax_cents INTEGER NOT NULL,
    total_incl_tax_cents INTEGER NOT NULL,
    vat_scheme TEXT NOT NULL,
    mention TEXT NOT NULL DEFAULT '',
    purpose TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('unpaid', 'paid', 'cancelled', 'refunded', 'issued')),
    paid_at TEXT,
    order_id INTEGER,
    contract_id INTEGER,
    credits_invoice_id INTEGER REFERENCES invoices (id),
    UNIQUE (series, year, seq)
)
table ip_addresses: CREATE TABLE ip_addresses (
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
)
table ip_history: CREATE TABLE ip_history (
    id INTEGER PRIMARY KEY,
    address TEXT NOT NULL,
    server_id INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    assigned_at TEXT NOT NULL,
    released_at TEXT
)
table ip_pools: CREATE TABLE ip_pools (
    id INTEGER PRIMARY KEY,
    family INTEGER NOT NULL CHECK (family IN (4, 6)),
    prefix TEXT NOT NULL UNIQUE,
    datacenter TEXT NOT NULL DEFAULT '',
    reserved_head INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
)
table jobs: CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    args TEXT NOT NULL DEFAULT '{}',
    unique_key TEXT UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('available', 'running', 'completed', 'discarded', 'cancelled')),
    attempt INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    locked_at TEXT,
    locked_by TEXT NOT NULL DEFAULT '',
    finished_at TEXT,
    last_error TEXT NOT NULL DEFAULT ''
)
table machine_components: CREATE TABLE machine_components (
    id INTEGER PRIMARY KEY,
    machine_id INTEGER NOT NULL REFERENCES machines (id),
    kind TEXT NOT NULL CHECK (kind IN ('cpu', 'memory', 'disk', 'nic', 'psu', 'other')),
    model TEXT NOT NULL DEFAULT '',
    serial TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    installed_at TEXT NOT NULL,
    removed_at TEXT
)
table machine_transitions: CREATE TABLE machine_transitions (
    id INTEGER PRIMARY KEY,
    machine_id INTEGER NOT NULL REFERENCES machines (id),
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id INTEGER,
    actor_label TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL
)
table machines: CREATE TABLE machines (
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
)
table maintenance_servers: CREATE TABLE maintenance_servers (
    maintenance_id INTEGER NOT NULL REFERENCES maintenances (id),
    server_id INTEGER NOT NULL REFERENCES servers (id),
    PRIMARY KEY (maintenance_id, server_id)
)
table maintenances: CREATE TABLE maintenances (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    cancelled_at TEXT
)
table netguard_attack_seconds: CREATE TABLE netguard_attack_seconds (
    ip TEXT NOT NULL,
    at TEXT NOT NULL,
    total_pps INTEGER NOT NULL,
    total_bps INTEGER NOT NULL,
    total_fps INTEGER NOT NULL,
    classes TEXT NOT NULL,
    above TEXT NOT NULL,
    PRIMARY KEY (ip, at)
)
table netguard_attacks: CREATE TABLE netguard_attacks (
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
)
table netguard_ips: CREATE TABLE netguard_ips (
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
)
table netguard_runtime: CREATE TABLE netguard_runtime (
    kind TEXT NOT NULL,
    node TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, node)
)
table netguard_staff_rules: CREATE TABLE netguard_staff_rules (
    id INTEGER PRIMARY KEY,
    prefix TEXT NOT NULL,
    vectors TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    requested_by INTEGER NOT NULL REFERENCES accounts (id),
    requested_at TEXT NOT NULL,
    approved_by INTEGER REFERENCES accounts (id),
    approved_at TEXT
)
table netguard_traffic: CREATE TABLE netguard_traffic (
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
)
table notices: CREATE TABLE notices (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    kind TEXT NOT NULL,
    language TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    body_sha256 TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE,
    dedup_key TEXT UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'held')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    sent_at TEXT
)
table orders: CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES accounts (id),
    idempotency_key TEXT,
    status TEXT NOT NULL CHECK (status IN ('notPaid', 'paid', 'delivering', 'delivered', 'late', 'cancelled', 'refunded')),
    plan_code TEXT NOT NULL,
    range_code TEXT NOT NULL,
    plan_name TEXT NOT NULL,
    duration_months INTEGER NOT NULL,
    os_image TEXT NOT NULL,
    datacenter TEXT NOT NULL DEFAULT '',
    options TEXT NOT NULL DEFAULT '[]',
    language TEXT NOT NULL,
    currency TEXT NOT NULL,
    lines TEXT NOT NULL,
    vat_totals TEXT NOT NULL,
    total_excl_tax_cents INTEGER NOT NULL,
    tax_cents INTEGER NOT NULL,
    total_incl_tax_cents INTEGER NOT NULL,
    vat_scheme TEXT NOT NULL,
    vat_number TEXT NOT NULL DEFAULT '',
    consumer INTEGER NOT NULL DEFAULT 0,
    immediate_request_text TEXT NOT NULL DEFAULT '',
    immediate_request_at TEXT,
    created_at TEXT NOT NULL,
    paid_at TEXT,
    deliverable_from TEXT,
    delivery_deadline TEXT,
    delivering_at TEXT,
    delivered_at TEXT,
    late_at TEXT,
    cancelled_at TEXT,
    refunded_at TEXT,
    withdrawn_at TEXT,
    server_ref TEXT NOT NULL DEFAULT '',
    main_ip TEXT NOT NULL DEFAULT '',
    invoice_id INTEGER REFERENCES invoices (id),
    contract_id INTEGER,
    UNIQUE (customer_id, idempotency_key)
)
table payment_events: CREATE TABLE payment_events (
    provider TEXT NOT NULL,
    event_id TEXT NOT NULL,
    payment_id INTEGER NOT NULL REFERENCES payments (id),
    outcome TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (provider, event_id)
)
table payments: CREATE TABLE payments (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES accounts (id),
    order_id INTEGER REFERENCES orders (id),
    invoice_id INTEGER REFERENCES invoices (id),
    method TEXT NOT NULL CHECK (method IN ('transfer', 'sandbox')),
    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'cancelled')),
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    currency TEXT NOT NULL,
    reference TEXT NOT NULL,
    provider_ref TEXT NOT NULL DEFAULT '',
    idempotency_key TEXT,
    failure TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    settled_at TEXT,
    UNIQUE (customer_id, idempotency_key)
)
table refunds: CREATE TABLE refunds (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES accounts (id),
    payment_id INTEGER NOT NULL REFERENCES payments (id),
    order_id INTEGER REFERENCES orders (id),
    credit_note_id INTEGER NOT NULL REFERENCES invoices (id),
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    currency TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL
)
table renewals: CREATE TABLE renewals (
    id INTEGER PRIMARY KEY,
    contract_id INTEGER NOT NULL REFERENCES contracts (id),
    term_no INTEGER NOT NULL,
    invoice_id INTEGER NOT NULL REFERENCES invoices (id),
    term_start TEXT NOT NULL,
    term_end TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'cancelled')),
    created_at TEXT NOT NULL,
    UNIQUE (contract_id, term_no)
)
table schema_migrations: CREATE TABLE schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)
table server_secrets: CREATE TABLE server_secrets (
    id INTEGER PRIMARY KEY,
    server_id INTEGER NOT NULL REFERENCES servers (id),
    task_id INTEGER NOT NULL UNIQUE REFERENCES fleet_tasks (id),
    kind TEXT NOT NULL CHECK (kind IN ('root', 'rescue')),
    username TEXT NOT NULL,
    sealed TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    revealed_at TEXT
)
table servers: CREATE TABLE servers (
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
)
table sessions: CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    csrf_secret TEXT NOT NULL,
    second_factor_ok INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    ip TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT ''
)
table staff_roles: CREATE TABLE staff_roles (
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    role TEXT NOT NULL CHECK (role IN ('admin', 'billing', 'noc', 'abuse', 'support', 'technician')),
    PRIMARY KEY (account_id, role)
)
table stock_reservations: CREATE TABLE stock_reservations (
    order_id INTEGER PRIMARY KEY,
    plan_code TEXT NOT NULL,
    reserved_at TEXT NOT NULL,
    released_at TEXT
)
table suspensions: CREATE TABLE suspensions (
    id INTEGER PRIMARY KEY,
    contract_id INTEGER NOT NULL REFERENCES contracts (id),
    server_ref TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL,
    started_at TEXT NOT NULL,
    lifted_at TEXT
)
trigger invoices_final: CREATE TRIGGER invoices_final BEFORE UPDATE ON invoices WHEN OLD.kind IS NOT NEW.kind OR OLD.series IS NOT NEW.series OR OLD.year IS NOT NEW.year OR OLD.seq IS NOT NEW.seq OR OLD.number IS NOT NEW.number OR OLD.customer_id IS NOT NEW.customer_id OR OLD.customer IS NOT NEW.customer OR OLD.seller IS NOT NEW.seller OR OLD.issued_at IS NOT NEW.issued_at OR OLD.due_at IS NOT NEW.due_at OR OLD.currency IS NOT NEW.currency OR OLD.lines IS NOT NEW.lines OR OLD.vat_totals IS NOT NEW.vat_totals OR OLD.total_excl_tax_cents IS NOT NEW.total_excl_tax_cents OR OLD.tax_cents IS NOT NEW.tax_cents OR OLD.total_incl_tax_cents IS NOT NEW.total_incl_tax_cents OR OLD.vat_scheme IS NOT NEW.vat_scheme OR OLD.mention IS NOT NEW.mention OR OLD.credits_invoice_id IS NOT NEW.credits_invoice_id BEGIN SELECT RAISE(ABORT, 'an issued invoice is final'); END
trigger invoices_never_deleted: CREATE TRIGGER invoices_never_deleted BEFORE DELETE ON invoices BEGIN SELECT RAISE(ABORT, 'invoices are never deleted: a credit note cancels an invoice'); END
trigger orders_form_final: CREATE TRIGGER orders_form_final BEFORE UPDATE ON orders WHEN OLD.customer_id IS NOT NEW.customer_id OR OLD.plan_code IS NOT NEW.plan_code OR OLD.duration_months IS NOT NEW.duration_months OR OLD.options IS NOT NEW.options OR OLD.currency IS NOT NEW.currency OR OLD.lines IS NOT NEW.lines OR OLD.vat_totals IS NOT NEW.vat_totals OR OLD.total_excl_tax_cents IS NOT NEW.total_excl_tax_cents OR OLD.tax_cents IS NOT NEW.tax_cents OR OLD.total_incl_tax_cents IS NOT NEW.total_incl_tax_cents OR OLD.vat_scheme IS NOT NEW.vat_scheme BEGIN SELECT RAISE(ABORT, 'an issued order form is final'); END
