-- Migration 6: accounts (issue 16): self-service sign-up, plan change requests, password
-- resets. Only adds, so the previous release runs on unchanged.
-- A sign-up waits here, under the SHA-256 of the
-- token its confirmation email carries, until its first admin follows the link. Only then are
-- the tenant and the admin made. A tenant made by sign-up keeps its organisation number, one
-- tenant per organisation.
CREATE TABLE IF NOT EXISTS signups (
    id BIGSERIAL PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    country TEXT NOT NULL,
    organisation_number TEXT NOT NULL,
    company TEXT NOT NULL,
    admin_name TEXT NOT NULL,
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    plan TEXT NOT NULL,
    language TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    confirmed_at TIMESTAMPTZ
);
ALTER TABLE tenants ADD COLUMN IF NOT EXISTS country TEXT;
ALTER TABLE tenants ADD COLUMN IF NOT EXISTS organisation_number TEXT;
CREATE UNIQUE INDEX IF NOT EXISTS tenants_by_organisation ON tenants (country, organisation_number);
-- A tenant's request to change plan (the portal's price page), applied on the next billing day
-- by a node's upkeep. NULL: none waiting.
ALTER TABLE tenants ADD COLUMN IF NOT EXISTS requested_plan TEXT;
ALTER TABLE tenants ADD COLUMN IF NOT EXISTS requested_plan_at TIMESTAMPTZ;
ALTER TABLE tenants ADD COLUMN IF NOT EXISTS requested_plan_by TEXT;
-- "Forgot your password?": a link's token (its SHA-256) for one user, for an hour, once.
CREATE TABLE IF NOT EXISTS password_resets (
    token_hash TEXT PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);
