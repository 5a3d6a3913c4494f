-- Migration 3: claims fair between tenants, and rate limits that hold across nodes. It only
-- adds (an index, a nullable column, a table), so the previous release runs on unchanged.
-- A claim takes each tenant's earliest due notifications first: this finds them tenant by
-- tenant, and the tenants with work by skipping from one tenant to the next.
CREATE INDEX IF NOT EXISTS notifications_due_by_tenant ON notifications (tenant_id, due_at, id)
    WHERE status = 'scheduled';
-- A tenant's own limit in messages per second, set by an operator (`avisera tenant rate`);
-- NULL: the configured default (`delivery.tenant_rate_per_second`).
ALTER TABLE tenants ADD COLUMN IF NOT EXISTS rate_per_second INTEGER CHECK (rate_per_second > 0);
-- Each rate limit's state (GCRA): the instant from which it is as if nothing had been sent.
-- name is 'sms' or 'email' (a provider, tenant_id 0) or 'tenant' (the tenant's own limit).
CREATE TABLE IF NOT EXISTS rate_limits (
    name TEXT NOT NULL,
    tenant_id BIGINT NOT NULL DEFAULT 0,
    tat TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (name, tenant_id)
);
