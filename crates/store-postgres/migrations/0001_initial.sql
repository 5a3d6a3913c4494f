-- Migration 1: the schema as of release 4b9a3ab (before versioned migrations). IF NOT EXISTS
-- stays so that adopting a database made before migrations can run this to add the tables
-- and indexes it lacks. Never edit an applied migration: add the next number.
CREATE TABLE IF NOT EXISTS tenants (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    plan TEXT NOT NULL,
    brand TEXT NOT NULL,
    billing TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL
);
-- Every plan a tenant has had, from when: the bill charges each day to the plan in force.
CREATE TABLE IF NOT EXISTS plan_changes (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    plan TEXT NOT NULL,
    effective_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS plan_changes_of ON plan_changes (tenant_id, effective_at);
CREATE TABLE IF NOT EXISTS api_keys (
    key_hash TEXT PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    label TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS templates (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS rules (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- The hot tables (shipments, events, notifications, history) carry no foreign keys: their
-- rows are only written by the event transaction and the delivery worker, which take ids from
-- rows they just read, and per-row key checks cost PostgreSQL about 40 % of its time at load.
-- Who created, changed, enabled or disabled a rule, when, and what changed.
CREATE TABLE IF NOT EXISTS rule_changes (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    rule_id BIGINT NOT NULL REFERENCES rules(id),
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rule_changes_of ON rule_changes (tenant_id, rule_id);
-- order_reference (lower-cased), receiver_phone (E.164 when it parses) and receiver_email
-- (lower-cased) repeat the state's values as Track & Trace looks them up.
CREATE TABLE IF NOT EXISTS shipments (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL,
    tracking_number TEXT NOT NULL,
    state TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    order_reference TEXT,
    receiver_phone TEXT,
    receiver_email TEXT,
    UNIQUE (tenant_id, tracking_number)
);
CREATE INDEX IF NOT EXISTS shipments_by_order ON shipments (tenant_id, order_reference);
CREATE INDEX IF NOT EXISTS shipments_by_phone ON shipments (tenant_id, receiver_phone);
CREATE INDEX IF NOT EXISTS shipments_by_email ON shipments (tenant_id, receiver_email);
CREATE TABLE IF NOT EXISTS events (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL,
    shipment_id BIGINT NOT NULL,
    event_key TEXT NOT NULL,
    code TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    location TEXT,
    unknown_code BIGINT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (tenant_id, shipment_id, event_key)
);
CREATE TABLE IF NOT EXISTS notifications (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL,
    shipment_id BIGINT,
    tracking_number TEXT NOT NULL,
    rule_id BIGINT,
    trigger_name TEXT,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    dedupe_key TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    language TEXT,
    message TEXT,
    due_at BIGINT NOT NULL,
    time_zone TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until BIGINT,
    provider_id TEXT,
    -- Set when the provider accepted it: what it is billed (none for Avisera's own notices).
    billable BIGINT NOT NULL DEFAULT 1,
    sent_at BIGINT,
    billed_units BIGINT,
    unit_price_ore BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (tenant_id, dedupe_key)
);
CREATE INDEX IF NOT EXISTS notifications_due ON notifications (due_at) WHERE status = 'scheduled';
CREATE INDEX IF NOT EXISTS notifications_shipment ON notifications (tenant_id, shipment_id);
CREATE INDEX IF NOT EXISTS notifications_sent ON notifications (tenant_id, sent_at) WHERE sent_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS notification_history (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL,
    notification_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS notification_history_of ON notification_history (tenant_id, notification_id);
-- Receivers who asked a tenant to stop: honoured by every later notification, at sending.
CREATE TABLE IF NOT EXISTS opt_outs (
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    address TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, address)
);
-- A tenant's own event-code mapping lines, over the shipped and the operator's.
CREATE TABLE IF NOT EXISTS tenant_mappings (
    tenant_id BIGINT NOT NULL PRIMARY KEY REFERENCES tenants(id),
    body TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- Portal users. Emails are unique across tenants: signing in starts from the email alone.
CREATE TABLE IF NOT EXISTS users (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS users_of ON users (tenant_id);
-- Signed-in portal sessions, by the SHA-256 of the cookie's token.
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS logos (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    kind TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS logos_of ON logos (tenant_id);
-- The secret that signs a tenant's carrier webhooks (HMAC-SHA256), kept readable because
-- checking a signature needs it.
CREATE TABLE IF NOT EXISTS webhook_secrets (
    tenant_id BIGINT NOT NULL PRIMARY KEY REFERENCES tenants(id),
    secret TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
