-- Migration 2: PostgreSQL's own types instead of what the Any driver could share with SQLite.
-- Instants (epoch milliseconds) become timestamptz, exactly: 'epoch' plus the milliseconds as
-- an interval. JSON text becomes jsonb. The 0/1 flags become boolean. Every row keeps its
-- value. Defaults are dropped before a column changes type and set again after, because
-- PostgreSQL cannot cast a default by itself. The migrator splits this file at semicolons, so
-- none appears inside a statement or a comment.
ALTER TABLE tenants
    ALTER COLUMN brand TYPE jsonb USING brand::jsonb,
    ALTER COLUMN billing DROP DEFAULT,
    ALTER COLUMN billing TYPE jsonb USING billing::jsonb,
    ALTER COLUMN billing SET DEFAULT '{}'::jsonb,
    ALTER COLUMN created_at TYPE timestamptz USING 'epoch'::timestamptz + created_at * interval '1 millisecond';
ALTER TABLE plan_changes
    ALTER COLUMN effective_at TYPE timestamptz USING 'epoch'::timestamptz + effective_at * interval '1 millisecond';
ALTER TABLE api_keys
    ALTER COLUMN created_at TYPE timestamptz USING 'epoch'::timestamptz + created_at * interval '1 millisecond';
ALTER TABLE templates
    ALTER COLUMN body TYPE jsonb USING body::jsonb,
    ALTER COLUMN created_at TYPE timestamptz USING 'epoch'::timestamptz + created_at * interval '1 millisecond',
    ALTER COLUMN updated_at TYPE timestamptz USING 'epoch'::timestamptz + updated_at * interval '1 millisecond';
ALTER TABLE rules
    ALTER COLUMN body TYPE jsonb USING body::jsonb,
    ALTER COLUMN created_at TYPE timestamptz USING 'epoch'::timestamptz + created_at * interval '1 millisecond',
    ALTER COLUMN updated_at TYPE timestamptz USING 'epoch'::timestamptz + updated_at * interval '1 millisecond';
ALTER TABLE rule_changes
    ALTER COLUMN at TYPE timestamptz USING 'epoch'::timestamptz + at * interval '1 millisecond';
ALTER TABLE shipments
    ALTER COLUMN state TYPE jsonb USING state::jsonb,
    ALTER COLUMN updated_at TYPE timestamptz USING 'epoch'::timestamptz + updated_at * interval '1 millisecond';
ALTER TABLE events
    ALTER COLUMN body TYPE jsonb USING body::jsonb,
    ALTER COLUMN occurred_at TYPE timestamptz USING 'epoch'::timestamptz + occurred_at * interval '1 millisecond',
    ALTER COLUMN received_at TYPE timestamptz USING 'epoch'::timestamptz + received_at * interval '1 millisecond',
    ALTER COLUMN unknown_code TYPE boolean USING unknown_code <> 0;
ALTER TABLE notifications
    ALTER COLUMN message TYPE jsonb USING message::jsonb,
    ALTER COLUMN due_at TYPE timestamptz USING 'epoch'::timestamptz + due_at * interval '1 millisecond',
    ALTER COLUMN lease_until TYPE timestamptz USING 'epoch'::timestamptz + lease_until * interval '1 millisecond',
    ALTER COLUMN sent_at TYPE timestamptz USING 'epoch'::timestamptz + sent_at * interval '1 millisecond',
    ALTER COLUMN created_at TYPE timestamptz USING 'epoch'::timestamptz + created_at * interval '1 millisecond',
    ALTER COLUMN updated_at TYPE timestamptz USING 'epoch'::timestamptz + updated_at * interval '1 millisecond',
    ALTER COLUMN billable DROP DEFAULT,
    ALTER COLUMN billable TYPE boolean USING billable <> 0,
    ALTER COLUMN billable SET DEFAULT true;
ALTER TABLE notification_history
    ALTER COLUMN at TYPE timestamptz USING 'epoch'::timestamptz + at * interval '1 millisecond';
ALTER TABLE opt_outs
    ALTER COLUMN at TYPE timestamptz USING 'epoch'::timestamptz + at * interval '1 millisecond';
ALTER TABLE tenant_mappings
    ALTER COLUMN updated_at TYPE timestamptz USING 'epoch'::timestamptz + updated_at * interval '1 millisecond';
ALTER TABLE users
    ALTER COLUMN created_at TYPE timestamptz USING 'epoch'::timestamptz + created_at * interval '1 millisecond';
ALTER TABLE sessions
    ALTER COLUMN expires_at TYPE timestamptz USING 'epoch'::timestamptz + expires_at * interval '1 millisecond';
ALTER TABLE logos
    ALTER COLUMN created_at TYPE timestamptz USING 'epoch'::timestamptz + created_at * interval '1 millisecond';
ALTER TABLE webhook_secrets
    ALTER COLUMN updated_at TYPE timestamptz USING 'epoch'::timestamptz + updated_at * interval '1 millisecond'
