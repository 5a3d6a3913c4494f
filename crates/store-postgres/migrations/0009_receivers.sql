-- Receivers (issue 15): within a tenant, the person behind a shipment's phone and email. The
-- opt-out and the preferences are the receiver's. A link names one by its random token,
-- unique over all tenants because the link names no tenant. No foreign keys, like the hot
-- tables ingest writes. The migrator splits this file at semicolons, so none appears inside
-- a statement or a comment.
CREATE TABLE IF NOT EXISTS receivers (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL,
    token TEXT NOT NULL UNIQUE,
    reach TEXT NOT NULL DEFAULT 'both',
    language TEXT,
    opted_out_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);
-- Each address (phone E.164, email in lower case) is one receiver's.
CREATE TABLE IF NOT EXISTS receiver_addresses (
    tenant_id BIGINT NOT NULL,
    address TEXT NOT NULL,
    receiver_id BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, address)
);
CREATE INDEX IF NOT EXISTS receiver_addresses_of ON receiver_addresses (tenant_id, receiver_id)
