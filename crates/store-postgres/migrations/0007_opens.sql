-- Email opens (issue 18): an operator may switch on, per tenant, a 1x1 image in its emails
-- that counts how often people opened each email, with the first and the last time. Off by
-- default (privacy). No foreign keys, like link_visits. The migrator splits this file at
-- semicolons, so none appears inside a statement or a comment.
ALTER TABLE tenants ADD COLUMN IF NOT EXISTS open_tracking BOOLEAN NOT NULL DEFAULT FALSE;
CREATE TABLE IF NOT EXISTS email_opens (
    tenant_id BIGINT NOT NULL,
    notification_id BIGINT NOT NULL,
    opens BIGINT NOT NULL,
    first_at TIMESTAMPTZ NOT NULL,
    last_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, notification_id)
)
