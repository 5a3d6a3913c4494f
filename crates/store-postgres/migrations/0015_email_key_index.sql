-- Only emails are looked up by their idempotency key (the Message-ID of an email receipt
-- carries it), while SMS receipts name the provider's id. Every notification has a random key, so
-- the index over all of them cost ingest a write at a random place of a large index per SMS.
-- The partial index keeps the email lookup, and the query states `channel = 'email'` so the
-- planner can use it. A node of the previous release still finds emails by key, by a scan,
-- during a rolling upgrade. The migrator splits this file at semicolons, so none appears
-- inside a statement or a comment.
CREATE INDEX IF NOT EXISTS notifications_by_email_key ON notifications (idempotency_key) WHERE channel = 'email';
DROP INDEX IF EXISTS notifications_by_idempotency_key
