CREATE TABLE catalog_ranges (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description_fr TEXT NOT NULL DEFAULT '',
    description_en TEXT NOT NULL DEFAULT '',
    support_level TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE catalog_plans (
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
);

CREATE TABLE catalog_prices (
    id INTEGER PRIMARY KEY,
    plan_code TEXT NOT NULL REFERENCES catalog_plans (code),
    duration_months INTEGER NOT NULL CHECK (duration_months > 0),
    setup_cents INTEGER NOT NULL CHECK (setup_cents >= 0),
    recurring_cents INTEGER NOT NULL CHECK (recurring_cents > 0),
    currency TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX catalog_prices_plan ON catalog_prices (plan_code, duration_months, valid_from);

CREATE TABLE catalog_options (
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
);

CREATE TABLE catalog_stock (
    plan_code TEXT PRIMARY KEY REFERENCES catalog_plans (code),
    free INTEGER NOT NULL DEFAULT 0 CHECK (free >= 0)
);

CREATE TABLE stock_reservations (
    order_id INTEGER PRIMARY KEY,
    plan_code TEXT NOT NULL,
    reserved_at TEXT NOT NULL,
    released_at TEXT
);

CREATE TABLE invoice_sequences (
    series TEXT NOT NULL,
    year INTEGER NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (series, year)
);

CREATE TABLE invoices (
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
);
CREATE INDEX invoices_customer ON invoices (customer_id, id);
CREATE INDEX invoices_status ON invoices (status, due_at);

CREATE TABLE orders (
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
);
CREATE INDEX orders_customer ON orders (customer_id, id);
CREATE INDEX orders_deadline ON orders (status, delivery_deadline);

CREATE TABLE payments (
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
);
CREATE INDEX payments_customer ON payments (customer_id, id);
CREATE INDEX payments_status ON payments (method, status, id);

CREATE TABLE payment_events (
    provider TEXT NOT NULL,
    event_id TEXT NOT NULL,
    payment_id INTEGER NOT NULL REFERENCES payments (id),
    outcome TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (provider, event_id)
);

CREATE TABLE refunds (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES accounts (id),
    payment_id INTEGER NOT NULL REFERENCES payments (id),
    order_id INTEGER REFERENCES orders (id),
    credit_note_id INTEGER NOT NULL REFERENCES invoices (id),
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    currency TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX refunds_customer ON refunds (customer_id, id);

CREATE TABLE contracts (
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
);
CREATE INDEX contracts_customer ON contracts (customer_id, id);
CREATE INDEX contracts_due ON contracts (status, renew_mode, id);

CREATE TABLE renewals (
    id INTEGER PRIMARY KEY,
    contract_id INTEGER NOT NULL REFERENCES contracts (id),
    term_no INTEGER NOT NULL,
    invoice_id INTEGER NOT NULL REFERENCES invoices (id),
    term_start TEXT NOT NULL,
    term_end TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'cancelled')),
    created_at TEXT NOT NULL,
    UNIQUE (contract_id, term_no)
);
CREATE INDEX renewals_invoice ON renewals (invoice_id);

CREATE TABLE contract_extensions (
    contract_id INTEGER NOT NULL REFERENCES contracts (id),
    term_no INTEGER NOT NULL,
    renewal_id INTEGER NOT NULL REFERENCES renewals (id),
    payment_id INTEGER,
    extended_at TEXT NOT NULL,
    PRIMARY KEY (contract_id, term_no)
);

CREATE TABLE dunning_steps (
    invoice_id INTEGER NOT NULL REFERENCES invoices (id),
    step TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (invoice_id, step)
);

CREATE TABLE suspensions (
    id INTEGER PRIMARY KEY,
    contract_id INTEGER NOT NULL REFERENCES contracts (id),
    server_ref TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL,
    started_at TEXT NOT NULL,
    lifted_at TEXT
);
CREATE INDEX suspensions_contract ON suspensions (contract_id, id);
