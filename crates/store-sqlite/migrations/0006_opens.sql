-- Email opens (issue 18): an operator may switch on, per tenant, a 1x1 image in its emails
-- that counts how often people opened each email, with the first and the last time. Off by
-- default (privacy). No foreign keys, like link_visits.
ALTER TABLE tenants ADD COLUMN open_tracking INTEGER NOT NULL DEFAULT 0;
CREATE TABLE IF NOT EXISTS email_opens (
    tenant_id INTEGER NOT NULL,
    notification_id INTEGER NOT NULL,
    opens INTEGER NOT NULL,
    first_at INTEGER NOT NULL,
    last_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, notification_id)
);
