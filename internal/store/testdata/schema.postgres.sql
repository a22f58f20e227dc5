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
column catalog_options.active: boolean NO true
column catalog_options.code: text NO 
column catalog_options.kind: text NO 
column catalog_options.max_quantity: integer NO 1
column catalog_options.monthly_cents: bigint NO 
column catalog_options.name_en: text NO 
column catalog_options.name_fr: text NO 
column catalog_options.position: integer NO 0
column catalog_options.requires: text NO ''::text
column catalog_options.setup_cents: bigint NO 0
column catalog_plans.active: boolean NO true
column catalog_plans.code: text NO 
column catalog_plans.cores: integer NO 
column catalog_plans.cpu: text NO 
column catalog_plans.disks: text NO '[]'::text
column catalog_plans.name: text NO 
column catalog_plans.nic: text NO 
column catalog_plans.os_images: text NO '[]'::text
column catalog_plans.position: integer NO 0
column catalog_plans.ram_gib: integer NO 
column catalog_plans.range_code: text NO 
column catalog_prices.created_by: text NO ''::text
column catalog_prices.currency: text NO 
column catalog_prices.duration_months: integer NO 
column catalog_prices.id: bigint NO 
column catalog_prices.plan_code: text NO 
column catalog_prices.recurring_cents: bigint NO 
column catalog_prices.setup_cents: bigint NO 
column catalog_prices.valid_from: timestamp with time zone NO 
column catalog_ranges.code: text NO 
column catalog_ranges.description_en: text NO ''::text
column catalog_ranges.description_fr: text NO ''::text
column catalog_ranges.name: text NO 
column catalog_ranges.position: integer NO 0
column catalog_ranges.support_level: text NO 
column catalog_stock.free: integer NO 0
column catalog_stock.plan_code: text NO 
column console_sessions.close_reason: text NO ''::text
column console_sessions.closed_at: timestamp with time zone YES 
column console_sessions.connect_types: text NO ''::text
column console_sessions.customer_id: bigint NO 
column console_sessions.expires_at: timestamp with time zone NO 
column console_sessions.id: bigint NO 
column console_sessions.kind: text NO 
column console_sessions.machine_id: bigint NO 
column console_sessions.opened_at: timestamp with time zone NO 
column console_sessions.ref: text NO ''::text
column console_sessions.revoke_error: text NO ''::text
column console_sessions.revoked_at: timestamp with time zone YES 
column console_sessions.server_id: bigint NO 
column console_sessions.url: text NO ''::text
column console_sessions.username: text NO ''::text
column contract_extensions.contract_id: bigint NO 
column contract_extensions.extended_at: timestamp with time zone NO 
column contract_extensions.payment_id: bigint YES 
column contract_extensions.renewal_id: bigint NO 
column contract_extensions.term_no: integer NO 
column contracts.currency: text NO 
column contracts.customer_id: bigint NO 
column contracts.duration_months: integer NO 
column contracts.id: bigint NO 
column contracts.main_ip: text NO ''::text
column contracts.order_id: bigint NO 
column contracts.plan_code: text NO 
column contracts.plan_name: text NO 
column contracts.range_code: text NO 
column contracts.renew_mode: text NO 
column contracts.server_ref: text NO ''::text
column contracts.started_at: timestamp with time zone NO 
column contracts.status: text NO 
column contracts.term_end: timestamp with time zone NO 
column contracts.term_excl_tax_cents: bigint NO 
column contracts.term_lines: text NO 
column contracts.term_no: integer NO 1
column contracts.term_start: timestamp with time zone NO 
column contracts.terminate_at: timestamp with time zone YES 
column contracts.terminated_at: timestamp with time zone YES 
column contracts.termination_reason: text NO ''::text
column contracts.updated_at: timestamp with time zone NO 
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
column deployments.attempt: integer NO 1
column deployments.deadline: timestamp with time zone NO 
column deployments.ended_at: timestamp with time zone YES 
column deployments.failure: text NO ''::text
column deployments.hostname: text NO ''::text
column deployments.id: bigint NO 
column deployments.image: text NO 
column deployments.kind: text NO 
column deployments.machine_id: bigint NO 
column deployments.preserve_data: integer NO 0
column deployments.server_id: bigint NO 
column deployments.ssh_key: text NO ''::text
column deployments.started_at: timestamp with time zone NO 
column deployments.state: text NO 
column deployments.task_id: bigint NO 
column dunning_steps.at: timestamp with time zone NO 
column dunning_steps.invoice_id: bigint NO 
column dunning_steps.step: text NO 
column fleet_racks.city: text NO ''::text
column fleet_racks.datacenter: text NO 
column fleet_racks.datacenter_name: text NO ''::text
column fleet_racks.name: text NO 
column fleet_racks.units: integer NO 
column fleet_tasks.comment: text NO ''::text
column fleet_tasks.created_at: timestamp with time zone NO 
column fleet_tasks.customer_id: bigint NO 
column fleet_tasks.done_at: timestamp with time zone YES 
column fleet_tasks.function: text NO 
column fleet_tasks.id: bigint NO 
column fleet_tasks.progress: text NO '[]'::text
column fleet_tasks.server_id: bigint NO 
column fleet_tasks.started_at: timestamp with time zone YES 
column fleet_tasks.status: text NO 
column fleet_tasks.updated_at: timestamp with time zone NO 
column incidents.acknowledged_at: timestamp with time zone YES 
column incidents.customer_id: bigint YES 
column incidents.description: text NO ''::text
column incidents.expected_end: timestamp with time zone YES 
column incidents.id: bigint NO 
column incidents.kind: text NO 
column incidents.long_notified_at: timestamp with time zone YES 
column incidents.machine_id: bigint YES 
column incidents.opened_at: timestamp with time zone NO 
column incidents.origin: text NO 
column incidents.resolution: text NO ''::text
column incidents.resolved_at: timestamp with time zone YES 
column incidents.server_id: bigint YES 
column incidents.status: text NO 
column interventions.at: timestamp with time zone NO 
column interventions.expected_end: timestamp with time zone YES 
column interventions.id: bigint NO 
column interventions.incident_id: bigint YES 
column interventions.kind: text NO 
column interventions.machine_id: bigint NO 
column interventions.new_serial: text NO ''::text
column interventions.notes: text NO ''::text
column interventions.old_serial: text NO ''::text
column interventions.part_kind: text NO ''::text
column interventions.server_id: bigint YES 
column interventions.technician: text NO 
column interventions.technician_id: bigint YES 
column invoice_sequences.last: bigint NO 
column invoice_sequences.series: text NO 
column invoice_sequences.year: integer NO 
column invoices.contract_id: bigint YES 
column invoices.credits_invoice_id: bigint YES 
column invoices.currency: text NO 
column invoices.customer: text NO 
column invoices.customer_id: bigint NO 
column invoices.due_at: timestamp with time zone NO 
column invoices.id: bigint NO 
column invoices.issued_at: timestamp with time zone NO 
column invoices.kind: text NO 
column invoices.language: text NO 
column invoices.lines: text NO 
column invoices.mention: text NO ''::text
column invoices.number: text NO 
column invoices.order_id: bigint YES 
column invoices.paid_at: timestamp with time zone YES 
column invoices.purpose: text NO 
column invoices.seller: text NO 
column invoices.seq: bigint NO 
column invoices.series: text NO 
column invoices.status: text NO 
column invoices.tax_cents: bigint NO 
column invoices.total_excl_tax_cents: bigint NO 
column invoices.total_incl_tax_cents: bigint NO 
column invoices.vat_scheme: text NO 
column invoices.vat_totals: text NO 
column invoices.year: integer NO 
column ip_addresses.address: text NO 
column ip_addresses.assigned_at: timestamp with time zone NO 
column ip_addresses.available_at: timestamp with time zone YES 
column ip_addresses.customer_id: bigint YES 
column ip_addresses.family: integer NO 
column ip_addresses.id: bigint NO 
column ip_addresses.kind: text NO 
column ip_addresses.n: bigint NO 
column ip_addresses.pool_id: bigint NO 
column ip_addresses.released_at: timestamp with time zone YES 
column ip_addresses.reverse: text NO ''::text
column ip_addresses.server_id: bigint YES 
column ip_addresses.state: text NO 
column ip_history.address: text NO 
column ip_history.assigned_at: timestamp with time zone NO 
column ip_history.customer_id: bigint NO 
column ip_history.id: bigint NO 
column ip_history.released_at: timestamp with time zone YES 
column ip_history.server_id: bigint NO 
column ip_pools.created_at: timestamp with time zone NO 
column ip_pools.datacenter: text NO ''::text
column ip_pools.family: integer NO 
column ip_pools.id: bigint NO 
column ip_pools.prefix: text NO 
column ip_pools.reserved_head: integer NO 0
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
column machine_components.detail: text NO ''::text
column machine_components.id: bigint NO 
column machine_components.installed_at: timestamp with time zone NO 
column machine_components.kind: text NO 
column machine_components.machine_id: bigint NO 
column machine_components.model: text NO ''::text
column machine_components.removed_at: timestamp with time zone YES 
column machine_components.serial: text NO ''::text
column machine_transitions.actor_id: bigint YES 
column machine_transitions.actor_kind: text NO 
column machine_transitions.actor_label: text NO 
column machine_transitions.at: timestamp with time zone NO 
column machine_transitions.from_state: text NO 
column machine_transitions.id: bigint NO 
column machine_transitions.machine_id: bigint NO 
column machine_transitions.reason: text NO 
column machine_transitions.to_state: text NO 
column machines.bmc_address: text NO 
column machines.bmc_driver: text NO 
column machines.bmc_secret: text NO ''::text
column machines.bmc_username: text NO ''::text
column machines.created_at: timestamp with time zone NO 
column machines.datacenter: text NO 
column machines.desired_power: text NO 'off'::text
column machines.failure: text NO ''::text
column machines.height_u: integer NO 1
column machines.id: bigint NO 
column machines.manufacturer: text NO ''::text
column machines.model: text NO ''::text
column machines.observed_at: timestamp with time zone YES 
column machines.observed_error: text NO ''::text
column machines.observed_power: text NO 'unknown'::text
column machines.profile: text NO 
column machines.rack: text NO 
column machines.range_code: text NO ''::text
column machines.serial: text NO 
column machines.server_id: bigint YES 
column machines.state: text NO 
column machines.state_since: timestamp with time zone NO 
column machines.u: integer NO 
column machines.updated_at: timestamp with time zone NO 
column maintenance_servers.maintenance_id: bigint NO 
column maintenance_servers.server_id: bigint NO 
column maintenances.cancelled_at: timestamp with time zone YES 
column maintenances.created_at: timestamp with time zone NO 
column maintenances.created_by: text NO 
column maintenances.description: text NO ''::text
column maintenances.ends_at: timestamp with time zone NO 
column maintenances.id: bigint NO 
column maintenances.starts_at: timestamp with time zone NO 
column maintenances.title: text NO 
column netguard_attack_seconds.above: text NO 
column netguard_attack_seconds.at: timestamp with time zone NO 
column netguard_attack_seconds.classes: text NO 
column netguard_attack_seconds.ip: text NO 
column netguard_attack_seconds.total_bps: bigint NO 
column netguard_attack_seconds.total_fps: bigint NO 
column netguard_attack_seconds.total_pps: bigint NO 
column netguard_attacks.customer_id: bigint YES 
column netguard_attacks.ended_at: timestamp with time zone YES 
column netguard_attacks.id: bigint NO 
column netguard_attacks.ip: text NO ''::text
column netguard_attacks.last_above: timestamp with time zone NO 
column netguard_attacks.level: integer NO 0
column netguard_attacks.peak_bps: bigint NO 0
column netguard_attacks.peak_pps: bigint NO 0
column netguard_attacks.peak_severity: double precision NO 0
column netguard_attacks.prefix: text NO ''::text
column netguard_attacks.profile: text NO ''::text
column netguard_attacks.started_at: timestamp with time zone NO 
column netguard_attacks.top_sources: text NO '[]'::text
column netguard_attacks.vectors: text NO ''::text
column netguard_ips.attack_id: bigint YES 
column netguard_ips.customer_id: bigint YES 
column netguard_ips.ended_at: timestamp with time zone YES 
column netguard_ips.ip: text NO 
column netguard_ips.last_above: timestamp with time zone YES 
column netguard_ips.level: integer NO 0
column netguard_ips.min_until: timestamp with time zone YES 
column netguard_ips.pro_use: boolean NO false
column netguard_ips.profile: text NO 'default'::text
column netguard_ips.since: timestamp with time zone YES 
column netguard_ips.state: text NO 'off'::text
column netguard_ips.updated_at: timestamp with time zone NO 
column netguard_ips.vectors: text NO ''::text
column netguard_runtime.body: text NO 
column netguard_runtime.kind: text NO 
column netguard_runtime.node: text NO 
column netguard_runtime.updated_at: timestamp with time zone NO 
column netguard_staff_rules.approved_at: timestamp with time zone YES 
column netguard_staff_rules.approved_by: bigint YES 
column netguard_staff_rules.id: bigint NO 
column netguard_staff_rules.prefix: text NO 
column netguard_staff_rules.reason: text NO ''::text
column netguard_staff_rules.requested_at: timestamp with time zone NO 
column netguard_staff_rules.requested_by: bigint NO 
column netguard_staff_rules.vectors: text NO ''::text
column netguard_traffic.at: timestamp with time zone NO 
column netguard_traffic.dropped_bps: bigint NO 
column netguard_traffic.dropped_pps: bigint NO 
column netguard_traffic.in_bps: bigint NO 
column netguard_traffic.in_pps: bigint NO 
column netguard_traffic.ip: text NO 
column netguard_traffic.out_bps: bigint NO 
column netguard_traffic.out_pps: bigint NO 
column netguard_traffic.scale: text NO 
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
column orders.cancelled_at: timestamp with time zone YES 
column orders.consumer: boolean NO false
column orders.contract_id: bigint YES 
column orders.created_at: timestamp with time zone NO 
column orders.currency: text NO 
column orders.customer_id: bigint NO 
column orders.datacenter: text NO ''::text
column orders.deliverable_from: timestamp with time zone YES 
column orders.delivered_at: timestamp with time zone YES 
column orders.delivering_at: timestamp with time zone YES 
column orders.delivery_deadline: timestamp with time zone YES 
column orders.duration_months: integer NO 
column orders.id: bigint NO 
column orders.idempotency_key: text YES 
column orders.immediate_request_at: timestamp with time zone YES 
column orders.immediate_request_text: text NO ''::text
column orders.invoice_id: bigint YES 
column orders.language: text NO 
column orders.late_at: timestamp with time zone YES 
column orders.lines: text NO 
column orders.main_ip: text NO ''::text
column orders.options: text NO '[]'::text
column orders.os_image: text NO 
column orders.paid_at: timestamp with time zone YES 
column orders.plan_code: text NO 
column orders.plan_name: text NO 
column orders.range_code: text NO 
column orders.refunded_at: timestamp with time zone YES 
column orders.server_ref: text NO ''::text
column orders.status: text NO 
column orders.tax_cents: bigint NO 
column orders.total_excl_tax_cents: bigint NO 
column orders.total_incl_tax_cents: bigint NO 
column orders.vat_number: text NO ''::text
column orders.vat_scheme: text NO 
column orders.vat_totals: text NO 
column orders.withdrawn_at: timestamp with time zone YES 
column payment_events.event_id: text NO 
column payment_events.outcome: text NO 
column payment_events.payment_id: bigint NO 
column payment_events.provider: text NO 
column payment_events.received_at: timestamp with time zone NO 
column payments.amount_cents: bigint NO 
column payments.created_at: timestamp with time zone NO 
column payments.currency: text NO 
column payments.customer_id: bigint NO 
column payments.failure: text NO ''::text
column payments.id: bigint NO 
column payments.idempotency_key: text YES 
column payments.invoice_id: bigint YES 
column payments.method: text NO 
column payments.order_id: bigint YES 
column payments.provider_ref: text NO ''::text
column payments.reference: text NO 
column payments.settled_at: timestamp with time zone YES 
column payments.status: text NO 
column refunds.amount_cents: bigint NO 
column refunds.created_at: timestamp with time zone NO 
column refunds.credit_note_id: bigint NO 
column refunds.currency: text NO 
column refunds.customer_id: bigint NO 
column refunds.id: bigint NO 
column refunds.order_id: bigint YES 
column refunds.payment_id: bigint NO 
column refunds.reason: text NO 
column renewals.contract_id: bigint NO 
column renewals.created_at: timestamp with time zone NO 
column renewals.id: bigint NO 
column renewals.invoice_id: bigint NO 
column renewals.status: text NO 
column renewals.term_end: timestamp with time zone NO 
column renewals.term_no: integer NO 
column renewals.term_start: timestamp with time zone NO 
column schema_migrations.applied_at: text NO 
column schema_migrations.name: text NO 
column schema_migrations.version: integer NO 
column server_secrets.created_at: timestamp with time zone NO 
column server_secrets.id: bigint NO 
column server_secrets.kind: text NO 
column server_secrets.revealed_at: timestamp with time zone YES 
column server_secrets.sealed: text NO ''::text
column server_secrets.server_id: bigint NO 
column server_secrets.task_id: bigint NO 
column server_secrets.username: text NO 
column servers.created_at: timestamp with time zone NO 
column servers.customer_id: bigint NO 
column servers.datacenter: text NO ''::text
column servers.delivered_at: timestamp with time zone YES 
column servers.desired_power: text NO 'on'::text
column servers.duration_months: integer NO 1
column servers.hostname: text NO ''::text
column servers.id: bigint NO 
column servers.machine_id: bigint YES 
column servers.name: text NO 
column servers.order_ref: text NO 
column servers.os_image: text NO 
column servers.plan: text NO 
column servers.probe_failures: integer NO 0
column servers.probed_at: timestamp with time zone YES 
column servers.profile: text NO 
column servers.range_code: text NO ''::text
column servers.rescue_until: timestamp with time zone YES 
column servers.ssh_key: text NO ''::text
column servers.state: text NO 
column servers.support_level: text NO ''::text
column servers.terminate_at: timestamp with time zone YES 
column servers.terminated_at: timestamp with time zone YES 
column servers.updated_at: timestamp with time zone NO 
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
column stock_reservations.order_id: bigint NO 
column stock_reservations.plan_code: text NO 
column stock_reservations.released_at: timestamp with time zone YES 
column stock_reservations.reserved_at: timestamp with time zone NO 
column suspensions.contract_id: bigint NO 
column suspensions.id: bigint NO 
column suspensions.lifted_at: timestamp with time zone YES 
column suspensions.reason: text NO 
column suspensions.server_ref: text NO ''::text
column suspensions.started_at: timestamp with time zone NO 
constraint accounts.accounts_email_key: UNIQUE (email)
constraint accounts.accounts_kind_check: CHECK ((kind = ANY (ARRAY['customer'::text, 'staff'::text])))
constraint accounts.accounts_language_check: CHECK ((language = ANY (ARRAY['fr'::text, 'en'::text])))
constraint accounts.accounts_pkey: PRIMARY KEY (id)
constraint api_tokens.api_tokens_account_id_fkey: FOREIGN KEY (account_id) REFERENCES accounts(id)
constraint api_tokens.api_tokens_hash_key: UNIQUE (hash)
constraint api_tokens.api_tokens_pkey: PRIMARY KEY (id)
constraint audit_log.audit_log_pkey: PRIMARY KEY (id)
constraint catalog_options.catalog_options_kind_check: CHECK ((kind = ANY (ARRAY['proUse'::text, 'edgeFirewall'::text, 'licence'::text, 'extraIp'::text])))
constraint catalog_options.catalog_options_max_quantity_check: CHECK ((max_quantity >= 1))
constraint catalog_options.catalog_options_monthly_cents_check: CHECK ((monthly_cents >= 0))
constraint catalog_options.catalog_options_pkey: PRIMARY KEY (code)
constraint catalog_options.catalog_options_setup_cents_check: CHECK ((setup_cents >= 0))
constraint catalog_plans.catalog_plans_pkey: PRIMARY KEY (code)
constraint catalog_plans.catalog_plans_range_code_fkey: FOREIGN KEY (range_code) REFERENCES catalog_ranges(code)
constraint catalog_prices.catalog_prices_duration_months_check: CHECK ((duration_months > 0))
constraint catalog_prices.catalog_prices_pkey: PRIMARY KEY (id)
constraint catalog_prices.catalog_prices_plan_code_fkey: FOREIGN KEY (plan_code) REFERENCES catalog_plans(code)
constraint catalog_prices.catalog_prices_recurring_cents_check: CHECK ((recurring_cents > 0))
constraint catalog_prices.catalog_prices_setup_cents_check: CHECK ((setup_cents >= 0))
constraint catalog_ranges.catalog_ranges_pkey: PRIMARY KEY (code)
constraint catalog_stock.catalog_stock_free_check: CHECK ((free >= 0))
constraint catalog_stock.catalog_stock_pkey: PRIMARY KEY (plan_code)
constraint catalog_stock.catalog_stock_plan_code_fkey: FOREIGN KEY (plan_code) REFERENCES catalog_plans(code)
constraint console_sessions.console_sessions_kind_check: CHECK ((kind = ANY (ARRAY['graphical'::text, 'serial'::text])))
constraint console_sessions.console_sessions_machine_id_fkey: FOREIGN KEY (machine_id) REFERENCES machines(id)
constraint console_sessions.console_sessions_pkey: PRIMARY KEY (id)
constraint console_sessions.console_sessions_server_id_fkey: FOREIGN KEY (server_id) REFERENCES servers(id)
constraint contract_extensions.contract_extensions_contract_id_fkey: FOREIGN KEY (contract_id) REFERENCES contracts(id)
constraint contract_extensions.contract_extensions_pkey: PRIMARY KEY (contract_id, term_no)
constraint contract_extensions.contract_extensions_renewal_id_fkey: FOREIGN KEY (renewal_id) REFERENCES renewals(id)
constraint contracts.contracts_customer_id_fkey: FOREIGN KEY (customer_id) REFERENCES accounts(id)
constraint contracts.contracts_order_id_fkey: FOREIGN KEY (order_id) REFERENCES orders(id)
constraint contracts.contracts_order_id_key: UNIQUE (order_id)
constraint contracts.contracts_pkey: PRIMARY KEY (id)
constraint contracts.contracts_renew_mode_check: CHECK ((renew_mode = ANY (ARRAY['automatic'::text, 'manual'::text])))
constraint contracts.contracts_status_check: CHECK ((status = ANY (ARRAY['active'::text, 'suspended'::text, 'terminated'::text])))
constraint customers.customers_account_id_fkey: FOREIGN KEY (account_id) REFERENCES accounts(id)
constraint customers.customers_pkey: PRIMARY KEY (account_id)
constraint customers.customers_type_check: CHECK ((type = ANY (ARRAY['person'::text, 'company'::text])))
constraint deployments.deployments_kind_check: CHECK ((kind = ANY (ARRAY['delivery'::text, 'reinstall'::text])))
constraint deployments.deployments_machine_id_fkey: FOREIGN KEY (machine_id) REFERENCES machines(id)
constraint deployments.deployments_pkey: PRIMARY KEY (id)
constraint deployments.deployments_server_id_fkey: FOREIGN KEY (server_id) REFERENCES servers(id)
constraint deployments.deployments_state_check: CHECK ((state = ANY (ARRAY['running'::text, 'done'::text, 'timedOut'::text, 'failed'::text])))
constraint deployments.deployments_task_id_fkey: FOREIGN KEY (task_id) REFERENCES fleet_tasks(id)
constraint dunning_steps.dunning_steps_invoice_id_fkey: FOREIGN KEY (invoice_id) REFERENCES invoices(id)
constraint dunning_steps.dunning_steps_pkey: PRIMARY KEY (invoice_id, step)
constraint fleet_racks.fleet_racks_pkey: PRIMARY KEY (datacenter, name)
constraint fleet_racks.fleet_racks_units_check: CHECK ((units > 0))
constraint fleet_tasks.fleet_tasks_pkey: PRIMARY KEY (id)
constraint fleet_tasks.fleet_tasks_server_id_fkey: FOREIGN KEY (server_id) REFERENCES servers(id)
constraint fleet_tasks.fleet_tasks_status_check: CHECK ((status = ANY (ARRAY['todo'::text, 'doing'::text, 'done'::text, 'customerError'::text, 'providerError'::text, 'cancelled'::text])))
constraint incidents.incidents_kind_check: CHECK ((kind = ANY (ARRAY['unreachable'::text, 'hardware'::text, 'deployTimeout'::text, 'network'::text, 'other'::text])))
constraint incidents.incidents_machine_id_fkey: FOREIGN KEY (machine_id) REFERENCES machines(id)
constraint incidents.incidents_origin_check: CHECK ((origin = ANY (ARRAY['probe'::text, 'customer'::text, 'staff'::text, 'system'::text])))
constraint incidents.incidents_pkey: PRIMARY KEY (id)
constraint incidents.incidents_server_id_fkey: FOREIGN KEY (server_id) REFERENCES servers(id)
constraint incidents.incidents_status_check: CHECK ((status = ANY (ARRAY['open'::text, 'acknowledged'::text, 'resolved'::text])))
constraint interventions.interventions_incident_id_fkey: FOREIGN KEY (incident_id) REFERENCES incidents(id)
constraint interventions.interventions_kind_check: CHECK ((kind = ANY (ARRAY['diagnosis'::text, 'partReplacement'::text, 'reboot'::text, 'other'::text])))
constraint interventions.interventions_machine_id_fkey: FOREIGN KEY (machine_id) REFERENCES machines(id)
constraint interventions.interventions_pkey: PRIMARY KEY (id)
constraint invoice_sequences.invoice_sequences_pkey: PRIMARY KEY (series, year)
constraint invoices.invoices_credits_invoice_id_fkey: FOREIGN KEY (credits_invoice_id) REFERENCES invoices(id)
constraint invoices.invoices_customer_id_fkey: FOREIGN KEY (customer_id) REFERENCES accounts(id)
constraint invoices.invoices_kind_check: CHECK ((kind = ANY (ARRAY['invoice'::text, 'creditNote'::text])))
constraint invoices.invoices_number_key: UNIQUE (number)
constraint invoices.invoices_pkey: PRIMARY KEY (id)
constraint invoices.invoices_seq_check: CHECK ((seq > 0))
constraint invoices.invoices_series_year_seq_key: UNIQUE (series, year, seq)
constraint invoices.invoices_status_check: CHECK ((status = ANY (ARRAY['unpaid'::text, 'paid'::text, 'cancelled'::text, 'refunded'::text, 'issued'::text])))
constraint ip_addresses.ip_addresses_address_key: UNIQUE (address)
constraint ip_addresses.ip_addresses_family_check: CHECK ((family = ANY (ARRAY[4, 6])))
constraint ip_addresses.ip_addresses_kind_check: CHECK ((kind = ANY (ARRAY['main'::text, 'additional'::text, 'ipv6'::text])))
constraint ip_addresses.ip_addresses_pkey: PRIMARY KEY (id)
constraint ip_addresses.ip_addresses_pool_id_fkey: FOREIGN KEY (pool_id) REFERENCES ip_pools(id)
constraint ip_addresses.ip_addresses_pool_id_n_key: UNIQUE (pool_id, n)
constraint ip_addresses.ip_addresses_server_id_fkey: FOREIGN KEY (server_id) REFERENCES servers(id)
constraint ip_addresses.ip_addresses_state_check: CHECK ((state = ANY (ARRAY['assigned'::text, 'quarantined'::text])))
constraint ip_history.ip_history_pkey: PRIMARY KEY (id)
constraint ip_pools.ip_pools_family_check: CHECK ((family = ANY (ARRAY[4, 6])))
constraint ip_pools.ip_pools_pkey: PRIMARY KEY (id)
constraint ip_pools.ip_pools_prefix_key: UNIQUE (prefix)
constraint jobs.jobs_pkey: PRIMARY KEY (id)
constraint jobs.jobs_state_check: CHECK ((state = ANY (ARRAY['available'::text, 'running'::text, 'completed'::text, 'discarded'::text, 'cancelled'::text])))
constraint jobs.jobs_unique_key_key: UNIQUE (unique_key)
constraint machine_components.machine_components_kind_check: CHECK ((kind = ANY (ARRAY['cpu'::text, 'memory'::text, 'disk'::text, 'nic'::text, 'psu'::text, 'other'::text])))
constraint machine_components.machine_components_machine_id_fkey: FOREIGN KEY (machine_id) REFERENCES machines(id)
constraint machine_components.machine_components_pkey: PRIMARY KEY (id)
constraint machine_transitions.machine_transitions_machine_id_fkey: FOREIGN KEY (machine_id) REFERENCES machines(id)
constraint machine_transitions.machine_transitions_pkey: PRIMARY KEY (id)
constraint machines.machines_pkey: PRIMARY KEY (id)
constraint machines.machines_serial_key: UNIQUE (serial)
constraint machines.machines_state_check: CHECK ((state = ANY (ARRAY['enrolling'::text, 'inspecting'::text, 'available'::text, 'reserved'::text, 'deploying'::text, 'deployed'::text, 'suspended'::text, 'releasing'::text, 'wiping'::text, 'maintenance'::text])))
constraint maintenance_servers.maintenance_servers_maintenance_id_fkey: FOREIGN KEY (maintenance_id) REFERENCES maintenances(id)
constraint maintenance_servers.maintenance_servers_pkey: PRIMARY KEY (maintenance_id, server_id)
constraint maintenance_servers.maintenance_servers_server_id_fkey: FOREIGN KEY (server_id) REFERENCES servers(id)
constraint maintenances.maintenances_pkey: PRIMARY KEY (id)
constraint netguard_attack_seconds.netguard_attack_seconds_pkey: PRIMARY KEY (ip, at)
constraint netguard_attacks.netguard_attacks_pkey: PRIMARY KEY (id)
constraint netguard_ips.netguard_ips_level_check: CHECK (((level >= 0) AND (level <= 3)))
constraint netguard_ips.netguard_ips_pkey: PRIMARY KEY (ip)
constraint netguard_ips.netguard_ips_state_check: CHECK ((state = ANY (ARRAY['off'::text, 'auto'::text, 'permanent'::text, 'forced'::text])))
constraint netguard_runtime.netguard_runtime_pkey: PRIMARY KEY (kind, node)
constraint netguard_staff_rules.netguard_staff_rules_approved_by_fkey: FOREIGN KEY (approved_by) REFERENCES accounts(id)
constraint netguard_staff_rules.netguard_staff_rules_pkey: PRIMARY KEY (id)
constraint netguard_staff_rules.netguard_staff_rules_requested_by_fkey: FOREIGN KEY (requested_by) REFERENCES accounts(id)
constraint netguard_traffic.netguard_traffic_pkey: PRIMARY KEY (ip, scale, at)
constraint netguard_traffic.netguard_traffic_scale_check: CHECK ((scale = ANY (ARRAY['10s'::text, '1m'::text, '5m'::text])))
constraint notices.notices_account_id_fkey: FOREIGN KEY (account_id) REFERENCES accounts(id)
constraint notices.notices_dedup_key_key: UNIQUE (dedup_key)
constraint notices.notices_message_id_key: UNIQUE (message_id)
constraint notices.notices_pkey: PRIMARY KEY (id)
constraint notices.notices_status_check: CHECK ((status = ANY (ARRAY['queued'::text, 'sent'::text, 'failed'::text, 'held'::text])))
constraint orders.orders_customer_id_fkey: FOREIGN KEY (customer_id) REFERENCES accounts(id)
constraint orders.orders_customer_id_idempotency_key_key: UNIQUE (customer_id, idempotency_key)
constraint orders.orders_invoice_id_fkey: FOREIGN KEY (invoice_id) REFERENCES invoices(id)
constraint orders.orders_pkey: PRIMARY KEY (id)
constraint orders.orders_status_check: CHECK ((status = ANY (ARRAY['notPaid'::text, 'paid'::text, 'delivering'::text, 'delivered'::text, 'late'::text, 'cancelled'::text, 'refunded'::text])))
constraint payment_events.payment_events_payment_id_fkey: FOREIGN KEY (payment_id) REFERENCES payments(id)
constraint payment_events.payment_events_pkey: PRIMARY KEY (provider, event_id)
constraint payments.payments_amount_cents_check: CHECK ((amount_cents > 0))
constraint payments.payments_customer_id_fkey: FOREIGN KEY (customer_id) REFERENCES accounts(id)
constraint payments.payments_customer_id_idempotency_key_key: UNIQUE (customer_id, idempotency_key)
constraint payments.payments_invoice_id_fkey: FOREIGN KEY (invoice_id) REFERENCES invoices(id)
constraint payments.payments_method_check: CHECK ((method = ANY (ARRAY['transfer'::text, 'sandbox'::text])))
constraint payments.payments_order_id_fkey: FOREIGN KEY (order_id) REFERENCES orders(id)
constraint payments.payments_pkey: PRIMARY KEY (id)
constraint payments.payments_status_check: CHECK ((status = ANY (ARRAY['pending'::text, 'succeeded'::text, 'failed'::text, 'cancelled'::text])))
constraint refunds.refunds_amount_cents_check: CHECK ((amount_cents > 0))
constraint refunds.refunds_credit_note_id_fkey: FOREIGN KEY (credit_note_id) REFERENCES invoices(id)
constraint refunds.refunds_customer_id_fkey: FOREIGN KEY (customer_id) REFERENCES accounts(id)
constraint refunds.refunds_order_id_fkey: FOREIGN KEY (order_id) REFERENCES orders(id)
constraint refunds.refunds_payment_id_fkey: FOREIGN KEY (payment_id) REFERENCES payments(id)
constraint refunds.refunds_pkey: PRIMARY KEY (id)
constraint renewals.renewals_contract_id_fkey: FOREIGN KEY (contract_id) REFERENCES contracts(id)
constraint renewals.renewals_contract_id_term_no_key: UNIQUE (contract_id, term_no)
constraint renewals.renewals_invoice_id_fkey: FOREIGN KEY (invoice_id) REFERENCES invoices(id)
constraint renewals.renewals_pkey: PRIMARY KEY (id)
constraint renewals.renewals_status_check: CHECK ((status = ANY (ARRAY['pending'::text, 'paid'::text, 'cancelled'::text])))
constraint schema_migrations.schema_migrations_pkey: PRIMARY KEY (version)
constraint server_secrets.server_secrets_kind_check: CHECK ((kind = ANY (ARRAY['root'::text, 'rescue'::text])))
constraint server_secrets.server_secrets_pkey: PRIMARY KEY (id)
constraint server_secrets.server_secrets_server_id_fkey: FOREIGN KEY (server_id) REFERENCES servers(id)
constraint server_secrets.server_secrets_task_id_fkey: FOREIGN KEY (task_id) REFERENCES fleet_tasks(id)
constraint server_secrets.server_secrets_task_id_key: UNIQUE (task_id)
constraint servers.servers_customer_id_fkey: FOREIGN KEY (customer_id) REFERENCES accounts(id)
constraint servers.servers_order_ref_key: UNIQUE (order_ref)
constraint servers.servers_pkey: PRIMARY KEY (id)
constraint servers.servers_state_check: CHECK ((state = ANY (ARRAY['delivering'::text, 'active'::text, 'suspended'::text, 'reinstalling'::text, 'rescue'::text, 'networkCut'::text, 'terminating'::text, 'terminated'::text])))
constraint sessions.sessions_account_id_fkey: FOREIGN KEY (account_id) REFERENCES accounts(id)
constraint sessions.sessions_pkey: PRIMARY KEY (id_hash)
constraint staff_roles.staff_roles_account_id_fkey: FOREIGN KEY (account_id) REFERENCES accounts(id)
constraint staff_roles.staff_roles_pkey: PRIMARY KEY (account_id, role)
constraint staff_roles.staff_roles_role_check: CHECK ((role = ANY (ARRAY['admin'::text, 'billing'::text, 'noc'::text, 'abuse'::text, 'support'::text, 'technician'::text])))
constraint stock_reservations.stock_reservations_pkey: PRIMARY KEY (order_id)
constraint suspensions.suspensions_contract_id_fkey: FOREIGN KEY (contract_id) REFERENCES contracts(id)
constraint suspensions.suspensions_pkey: PRIMARY KEY (id)
index accounts.accounts_email_key: CREATE UNIQUE INDEX accounts_email_key ON accounts USING btree (email)
index accounts.accounts_pkey: CREATE UNIQUE INDEX accounts_pkey ON accounts USING btree (id)
index api_tokens.api_tokens_account: CREATE INDEX api_tokens_account ON api_tokens USING btree (account_id)
index api_tokens.api_tokens_hash_key: CREATE UNIQUE INDEX api_tokens_hash_key ON api_tokens USING btree (hash)
index api_tokens.api_tokens_pkey: CREATE UNIQUE INDEX api_tokens_pkey ON api_tokens USING btree (id)
index audit_log.audit_log_customer: CREATE INDEX audit_log_customer ON audit_log USING btree (customer_id, id)
index audit_log.audit_log_pkey: CREATE UNIQUE INDEX audit_log_pkey ON audit_log USING btree (id)
index catalog_options.catalog_options_pkey: CREATE UNIQUE INDEX catalog_options_pkey ON catalog_options USING btree (code)
index catalog_plans.catalog_plans_pkey: CREATE UNIQUE INDEX catalog_plans_pkey ON catalog_plans USING btree (code)
index catalog_prices.catalog_prices_pkey: CREATE UNIQUE INDEX catalog_prices_pkey ON catalog_prices USING btree (id)
index catalog_prices.catalog_prices_plan: CREATE INDEX catalog_prices_plan ON catalog_prices USING btree (plan_code, duration_months, valid_from)
index catalog_ranges.catalog_ranges_pkey: CREATE UNIQUE INDEX catalog_ranges_pkey ON catalog_ranges USING btree (code)
index catalog_stock.catalog_stock_pkey: CREATE UNIQUE INDEX catalog_stock_pkey ON catalog_stock USING btree (plan_code)
index console_sessions.console_sessions_pkey: CREATE UNIQUE INDEX console_sessions_pkey ON console_sessions USING btree (id)
index console_sessions.console_sessions_server: CREATE INDEX console_sessions_server ON console_sessions USING btree (server_id, id)
index console_sessions.console_sessions_unrevoked: CREATE INDEX console_sessions_unrevoked ON console_sessions USING btree (expires_at) WHERE (revoked_at IS NULL)
index contract_extensions.contract_extensions_pkey: CREATE UNIQUE INDEX contract_extensions_pkey ON contract_extensions USING btree (contract_id, term_no)
index contracts.contracts_customer: CREATE INDEX contracts_customer ON contracts USING btree (customer_id, id)
index contracts.contracts_due: CREATE INDEX contracts_due ON contracts USING btree (status, renew_mode, id)
index contracts.contracts_order_id_key: CREATE UNIQUE INDEX contracts_order_id_key ON contracts USING btree (order_id)
index contracts.contracts_pkey: CREATE UNIQUE INDEX contracts_pkey ON contracts USING btree (id)
index customers.customers_pkey: CREATE UNIQUE INDEX customers_pkey ON customers USING btree (account_id)
index deployments.deployments_pkey: CREATE UNIQUE INDEX deployments_pkey ON deployments USING btree (id)
index deployments.deployments_running: CREATE INDEX deployments_running ON deployments USING btree (state, deadline)
index deployments.deployments_server: CREATE INDEX deployments_server ON deployments USING btree (server_id, id)
index dunning_steps.dunning_steps_pkey: CREATE UNIQUE INDEX dunning_steps_pkey ON dunning_steps USING btree (invoice_id, step)
index fleet_racks.fleet_racks_pkey: CREATE UNIQUE INDEX fleet_racks_pkey ON fleet_racks USING btree (datacenter, name)
index fleet_tasks.fleet_tasks_pkey: CREATE UNIQUE INDEX fleet_tasks_pkey ON fleet_tasks USING btree (id)
index fleet_tasks.fleet_tasks_server: CREATE INDEX fleet_tasks_server ON fleet_tasks USING btree (server_id, id)
index incidents.incidents_pkey: CREATE UNIQUE INDEX incidents_pkey ON incidents USING btree (id)
index incidents.incidents_server: CREATE INDEX incidents_server ON incidents USING btree (server_id, id)
index incidents.incidents_status: CREATE INDEX incidents_status ON incidents USING btree (status, opened_at)
index interventions.interventions_machine: CREATE INDEX interventions_machine ON interventions USING btree (machine_id, id)
index interventions.interventions_pkey: CREATE UNIQUE INDEX interventions_pkey ON interventions USING btree (id)
index interventions.interventions_server: CREATE INDEX interventions_server ON interventions USING btree (server_id, id)
index invoice_sequences.invoice_sequences_pkey: CREATE UNIQUE INDEX invoice_sequences_pkey ON invoice_sequences USING btree (series, year)
index invoices.invoices_customer: CREATE INDEX invoices_customer ON invoices USING btree (customer_id, id)
index invoices.invoices_number_key: CREATE UNIQUE INDEX invoices_number_key ON invoices USING btree (number)
index invoices.invoices_pkey: CREATE UNIQUE INDEX invoices_pkey ON invoices USING btree (id)
index invoices.invoices_series_year_seq_key: CREATE UNIQUE INDEX invoices_series_year_seq_key ON invoices USING btree (series, year, seq)
index invoices.invoices_status: CREATE INDEX invoices_status ON invoices USING btree (status, due_at)
index ip_addresses.ip_addresses_address_key: CREATE UNIQUE INDEX ip_addresses_address_key ON ip_addresses USING btree (address)
index ip_addresses.ip_addresses_customer: CREATE INDEX ip_addresses_customer ON ip_addresses USING btree (customer_id)
index ip_addresses.ip_addresses_free: CREATE INDEX ip_addresses_free ON ip_addresses USING btree (pool_id, state, available_at)
index ip_addresses.ip_addresses_pkey: CREATE UNIQUE INDEX ip_addresses_pkey ON ip_addresses USING btree (id)
index ip_addresses.ip_addresses_pool_id_n_key: CREATE UNIQUE INDEX ip_addresses_pool_id_n_key ON ip_addresses USING btree (pool_id, n)
index ip_addresses.ip_addresses_server: CREATE INDEX ip_addresses_server ON ip_addresses USING btree (server_id)
index ip_history.ip_history_address: CREATE INDEX ip_history_address ON ip_history USING btree (address, assigned_at)
index ip_history.ip_history_pkey: CREATE UNIQUE INDEX ip_history_pkey ON ip_history USING btree (id)
index ip_pools.ip_pools_pkey: CREATE UNIQUE INDEX ip_pools_pkey ON ip_pools USING btree (id)
index ip_pools.ip_pools_prefix_key: CREATE UNIQUE INDEX ip_pools_prefix_key ON ip_pools USING btree (prefix)
index jobs.jobs_due: CREATE INDEX jobs_due ON jobs USING btree (state, run_at, id)
index jobs.jobs_pkey: CREATE UNIQUE INDEX jobs_pkey ON jobs USING btree (id)
index jobs.jobs_unique_key_key: CREATE UNIQUE INDEX jobs_unique_key_key ON jobs USING btree (unique_key)
index machine_components.machine_components_machine: CREATE INDEX machine_components_machine ON machine_components USING btree (machine_id, id)
index machine_components.machine_components_pkey: CREATE UNIQUE INDEX machine_components_pkey ON machine_components USING btree (id)
index machine_transitions.machine_transitions_machine: CREATE INDEX machine_transitions_machine ON machine_transitions USING btree (machine_id, id)
index machine_transitions.machine_transitions_pkey: CREATE UNIQUE INDEX machine_transitions_pkey ON machine_transitions USING btree (id)
index machines.machines_pick: CREATE INDEX machines_pick ON machines USING btree (state, profile, datacenter, id)
index machines.machines_pkey: CREATE UNIQUE INDEX machines_pkey ON machines USING btree (id)
index machines.machines_serial_key: CREATE UNIQUE INDEX machines_serial_key ON machines USING btree (serial)
index machines.machines_server: CREATE UNIQUE INDEX machines_server ON machines USING btree (server_id)
index maintenance_servers.maintenance_servers_pkey: CREATE UNIQUE INDEX maintenance_servers_pkey ON maintenance_servers USING btree (maintenance_id, server_id)
index maintenance_servers.maintenance_servers_server: CREATE INDEX maintenance_servers_server ON maintenance_servers USING btree (server_id)
index maintenances.maintenances_pkey: CREATE UNIQUE INDEX maintenances_pkey ON maintenances USING btree (id)
index maintenances.maintenances_time: CREATE INDEX maintenances_time ON maintenances USING btree (ends_at, starts_at)
index netguard_attack_seconds.netguard_attack_seconds_at: CREATE INDEX netguard_attack_seconds_at ON netguard_attack_seconds USING btree (at)
index netguard_attack_seconds.netguard_attack_seconds_pkey: CREATE UNIQUE INDEX netguard_attack_seconds_pkey ON netguard_attack_seconds USING btree (ip, at)
index netguard_attacks.netguard_attacks_ended: CREATE INDEX netguard_attacks_ended ON netguard_attacks USING btree (ended_at)
index netguard_attacks.netguard_attacks_ip: CREATE INDEX netguard_attacks_ip ON netguard_attacks USING btree (ip, id)
index netguard_attacks.netguard_attacks_open: CREATE INDEX netguard_attacks_open ON netguard_attacks USING btree (id) WHERE (ended_at IS NULL)
index netguard_attacks.netguard_attacks_pkey: CREATE UNIQUE INDEX netguard_attacks_pkey ON netguard_attacks USING btree (id)
index netguard_attacks.netguard_attacks_started: CREATE INDEX netguard_attacks_started ON netguard_attacks USING btree (started_at)
index netguard_ips.netguard_ips_active: CREATE INDEX netguard_ips_active ON netguard_ips USING btree (state) WHERE (state <> 'off'::text)
index netguard_ips.netguard_ips_pkey: CREATE UNIQUE INDEX netguard_ips_pkey ON netguard_ips USING btree (ip)
index netguard_runtime.netguard_runtime_pkey: CREATE UNIQUE INDEX netguard_runtime_pkey ON netguard_runtime USING btree (kind, node)
index netguard_staff_rules.netguard_staff_rules_pkey: CREATE UNIQUE INDEX netguard_staff_rules_pkey ON netguard_staff_rules USING btree (id)
index netguard_traffic.netguard_traffic_at: CREATE INDEX netguard_traffic_at ON netguard_traffic USING btree (at)
index netguard_traffic.netguard_traffic_pkey: CREATE UNIQUE INDEX netguard_traffic_pkey ON netguard_traffic USING btree (ip, scale, at)
index notices.notices_account: CREATE INDEX notices_account ON notices USING btree (account_id, id)
index notices.notices_dedup_key_key: CREATE UNIQUE INDEX notices_dedup_key_key ON notices USING btree (dedup_key)
index notices.notices_message_id_key: CREATE UNIQUE INDEX notices_message_id_key ON notices USING btree (message_id)
index notices.notices_pkey: CREATE UNIQUE INDEX notices_pkey ON notices USING btree (id)
index notices.notices_status: CREATE INDEX notices_status ON notices USING btree (status, id)
index orders.orders_customer: CREATE INDEX orders_customer ON orders USING btree (customer_id, id)
index orders.orders_customer_id_idempotency_key_key: CREATE UNIQUE INDEX orders_customer_id_idempotency_key_key ON orders USING btree (customer_id, idempotency_key)
index orders.orders_deadline: CREATE INDEX orders_deadline ON orders USING btree (status, delivery_deadline)
index orders.orders_pkey: CREATE UNIQUE INDEX orders_pkey ON orders USING btree (id)
index payment_events.payment_events_pkey: CREATE UNIQUE INDEX payment_events_pkey ON payment_events USING btree (provider, event_id)
index payments.payments_customer: CREATE INDEX payments_customer ON payments USING btree (customer_id, id)
index payments.payments_customer_id_idempotency_key_key: CREATE UNIQUE INDEX payments_customer_id_idempotency_key_key ON payments USING btree (customer_id, idempotency_key)
index payments.payments_pkey: CREATE UNIQUE INDEX payments_pkey ON payments USING btree (id)
index payments.payments_status: CREATE INDEX payments_status ON payments USING btree (method, status, id)
index refunds.refunds_customer: CREATE INDEX refunds_customer ON refunds USING btree (customer_id, id)
index refunds.refunds_pkey: CREATE UNIQUE INDEX refunds_pkey ON refunds USING btree (id)
index renewals.renewals_contract_id_term_no_key: CREATE UNIQUE INDEX renewals_contract_id_term_no_key ON renewals USING btree (contract_id, term_no)
index renewals.renewals_invoice: CREATE INDEX renewals_invoice ON renewals USING btree (invoice_id)
index renewals.renewals_pkey: CREATE UNIQUE INDEX renewals_pkey ON renewals USING btree (id)
index schema_migrations.schema_migrations_pkey: CREATE UNIQUE INDEX schema_migrations_pkey ON schema_migrations USING btree (version)
index server_secrets.server_secrets_pkey: CREATE UNIQUE INDEX server_secrets_pkey ON server_secrets USING btree (id)
index server_secrets.server_secrets_task_id_key: CREATE UNIQUE INDEX server_secrets_task_id_key ON server_secrets USING btree (task_id)
index servers.servers_customer: CREATE INDEX servers_customer ON servers USING btree (customer_id, id)
index servers.servers_order_ref_key: CREATE UNIQUE INDEX servers_order_ref_key ON servers USING btree (order_ref)
index servers.servers_pkey: CREATE UNIQUE INDEX servers_pkey ON servers USING btree (id)
index servers.servers_state: CREATE INDEX servers_state ON servers USING btree (state, id)
index sessions.sessions_account: CREATE INDEX sessions_account ON sessions USING btree (account_id)
index sessions.sessions_pkey: CREATE UNIQUE INDEX sessions_pkey ON sessions USING btree (id_hash)
index staff_roles.staff_roles_pkey: CREATE UNIQUE INDEX staff_roles_pkey ON staff_roles USING btree (account_id, role)
index stock_reservations.stock_reservations_pkey: CREATE UNIQUE INDEX stock_reservations_pkey ON stock_reservations USING btree (order_id)
index suspensions.suspensions_contract: CREATE INDEX suspensions_contract ON suspensions USING btree (contract_id, id)
index suspensions.suspensions_pkey: CREATE UNIQUE INDEX suspensions_pkey ON suspensions USING btree (id)
