-- Only emails are looked up by their idempotency key (the Message-ID of an email receipt
-- carries it), while SMS receipts name the provider's id. Every notification has a random key, so
-- the index over all of them cost ingest a write per SMS. The query states
-- `channel = 'email'` so the partial index serves it.
CREATE INDEX IF NOT EXISTS notifications_by_email_key ON notifications (idempotency_key) WHERE channel = 'email';
DROP INDEX IF EXISTS notifications_by_idempotency_key;
