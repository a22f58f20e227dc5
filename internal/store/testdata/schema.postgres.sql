column accounts.created_at: timestamp with time zone NO 
column accounts.disabled: boolean NO false
column accounts.email: text NO 
column accounts.failed_logins: integer NO 0
column accounts.id: bigint NO 
column accounts.kind: text NO 
column accounts.language: text NO 'fr'::text
column accounts.locked_until: timestamp with time zone YES 
column accounts.name: text NO 
column accounts.password_hash: text NO 
column accounts.totp_enabled: boolean NO false
column accounts.totp_last_step: bigint NO 0
column accounts.totp_secret: text NO ''::text
column accounts.updated_at: timestamp with time zone NO 
column api_tokens.account_id: bigint NO 
column api_tokens.created_at: timestamp with time zone NO 
column api_tokens.expires_at: timestamp with time zone YES 
column api_tokens.hash: text NO 
column api_tokens.id: bigint NO 
column api_tokens.last_used_at: timestamp with time zone YES 
column api_tokens.name: text NO 
column api_tokens.prefix: text NO 
column api_tokens.revoked_at: timestamp with time zone YES 
column api_tokens.scopes: text NO 
column audit_log.action: text NO 
column audit_log.actor_id: bigint YES 
column audit_log.actor_kind: text NO 
column audit_log.actor_label: text NO 
column audit_log.at: timestamp with time zone NO 
column audit_log.customer_id: bigint YES 
column audit_log.details: text NO '{}'::text
column audit_log.id: bigint NO 
column audit_log.ip: text NO ''::text
column audit_log.object_id: text NO 
column audit_log.object_type: text NO 
column audit_log.request_id: text NO ''::text
column customers.account_id: bigint NO 
column customers.address: text NO ''::text
column customers.city: text NO ''::text
column customers.company_name: text NO ''::text
column customers.country: text NO 
column customers.phone: text NO ''::text
column customers.postal_code: text NO ''::text
column customers.siren: text NO ''::text
column customers.type: text NO 
column customers.vat_number: text NO ''::text
column jobs.args: text NO '{}'::text
column jobs.attempt: integer NO 0
column jobs.created_at: timestamp with time zone NO 
column jobs.finished_at: timestamp with time zone YES 
column jobs.id: bigint NO 
column jobs.kind: text NO 
column jobs.last_error: text NO ''::text
column jobs.locked_at: timestamp with time zone YES 
column jobs.locked_by: text NO ''::text
column jobs.max_attempts: integer NO 
column jobs.run_at: timestamp with time zone NO 
column jobs.state: text NO 
column jobs.unique_key: text YES 
column notices.account_id: bigint NO 
column notices.attempts: integer NO 0
column notices.body: text NO 
column notices.body_sha256: text NO 
column notices.created_at: timestamp with time zone NO 
column notices.dedup_key: text YES 
column notices.id: bigint NO 
column notices.kind: text NO 
column notices.language: text NO 
column notices.last_error: text NO ''::text
column notices.message_id: text NO 
column notices.recipient: text NO 
column notices.sent_at: timestamp with time zone YES 
column notices.status: text NO 
column notices.subject: text NO 
column schema_migrations.applied_at: text NO 
column schema_migrations.name: text NO 
column schema_migrations.version: integer NO 
column sessions.account_id: bigint NO 
column sessions.created_at: timestamp with time zone NO 
column sessions.csrf_secret: text NO 
column sessions.expires_at: timestamp with time zone NO 
column sessions.id_hash: text NO 
column sessions.ip: text NO ''::text
column sessions.last_seen_at: timestamp with time zone NO 
column sessions.second_factor_ok: boolean NO false
column sessions.user_agent: text NO ''::text
column staff_roles.account_id: bigint NO 
column staff_roles.role: text NO 
constraint accounts.accounts_email_key: UNIQUE (email)
constraint accounts.accounts_kind_check: CHECK ((kind = ANY (ARRAY['customer'::text, 'staff'::text])))
constraint accounts.accounts_language_check: CHECK ((language = ANY (ARRAY['fr'::text, 'en'::text])))
constraint accounts.accounts_pkey: PRIMARY KEY (id)
constraint api_tokens.api_tokens_account_id_fkey: FOREIGN KEY (account_id) REFERENCES accounts(id)
constraint api_tokens.api_tokens_hash_key: UNIQUE (hash)
constraint api_tokens.api_tokens_pkey: PRIMARY KEY (id)
constraint audit_log.audit_log_pkey: PRIMARY KEY (id)
constraint customers.customers_account_id_fkey: FOREIGN KEY (account_id) REFERENCES accounts(id)
constraint customers.customers_pkey: PRIMARY KEY (account_id)
constraint customers.customers_type_check: CHECK ((type = ANY (ARRAY['person'::text, 'company'::text])))
constraint jobs.jobs_pkey: PRIMARY KEY (id)
constraint jobs.jobs_state_check: CHECK ((state = ANY (ARRAY['available'::text, 'running'::text, 'completed'::text, 'discarded'::text, 'cancelled'::text])))
constraint jobs.jobs_unique_key_key: UNIQUE (unique_key)
constraint notices.notices_account_id_fkey: FOREIGN KEY (account_id) REFERENCES accounts(id)
constraint notices.notices_dedup_key_key: UNIQUE (dedup_key)
constraint notices.notices_message_id_key: UNIQUE (message_id)
constraint notices.notices_pkey: PRIMARY KEY (id)
constraint notices.notices_status_check: CHECK ((status = ANY (ARRAY['queued'::text, 'sent'::text, 'failed'::text, 'held'::text])))
constraint schema_migrations.schema_migrations_pkey: PRIMARY KEY (version)
constraint sessions.sessions_account_id_fkey: FOREIGN KEY (account_id) REFERENCES accounts(id)
constraint sessions.sessions_pkey: PRIMARY KEY (id_hash)
constraint staff_roles.staff_roles_account_id_fkey: FOREIGN KEY (account_id) REFERENCES accounts(id)
constraint staff_roles.staff_roles_pkey: PRIMARY KEY (account_id, role)
constraint staff_roles.staff_roles_role_check: CHECK ((role = ANY (ARRAY['admin'::text, 'billing'::text, 'noc'::text, 'abuse'::text, 'support'::text, 'technician'::text])))
index accounts.accounts_email_key: CREATE UNIQUE INDEX accounts_email_key ON accounts USING btree (email)
index accounts.accounts_pkey: CREATE UNIQUE INDEX accounts_pkey ON accounts USING btree (id)
index api_tokens.api_tokens_account: CREATE INDEX api_tokens_account ON api_tokens USING btree (account_id)
index api_tokens.api_tokens_hash_key: CREATE UNIQUE INDEX api_tokens_hash_key ON api_tokens USING btree (hash)
index api_tokens.api_tokens_pkey: CREATE UNIQUE INDEX api_tokens_pkey ON api_tokens USING btree (id)
index audit_log.audit_log_customer: CREATE INDEX audit_log_customer ON audit_log USING btree (customer_id, id)
index audit_log.audit_log_pkey: CREATE UNIQUE INDEX audit_log_pkey ON audit_log USING btree (id)
index customers.customers_pkey: CREATE UNIQUE INDEX customers_pkey ON customers USING btree (account_id)
index jobs.jobs_due: CREATE INDEX jobs_due ON jobs USING btree (state, run_at, id)
index jobs.jobs_pkey: CREATE UNIQUE INDEX jobs_pkey ON jobs USING btree (id)
index jobs.jobs_unique_key_key: CREATE UNIQUE INDEX jobs_unique_key_key ON jobs USING btree (unique_key)
index notices.notices_account: CREATE INDEX notices_account ON notices USING btree (account_id, id)
index notices.notices_dedup_key_key: CREATE UNIQUE INDEX notices_dedup_key_key ON notices USING btree (dedup_key)
index notices.notices_message_id_key: CREATE UNIQUE INDEX notices_message_id_key ON notices USING btree (message_id)
index notices.notices_pkey: CREATE UNIQUE INDEX notices_pkey ON notices USING btree (id)
index notices.notices_status: CREATE INDEX notices_status ON notices USING btree (status, id)
index schema_migrations.schema_migrations_pkey: CREATE UNIQUE INDEX schema_migrations_pkey ON schema_migrations USING btree (version)
index sessions.sessions_account: CREATE INDEX sessions_account ON sessions USING btree (account_id)
index sessions.sessions_pkey: CREATE UNIQUE INDEX sessions_pkey ON sessions USING btree (id_hash)
index staff_roles.staff_roles_pkey: CREATE UNIQUE INDEX staff_roles_pkey ON staff_roles USING btree (account_id, role)
