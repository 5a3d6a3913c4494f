-- Receipts (issue 18): providers report what became of a message by the id they gave it
-- (SMS) or by its Message-ID, made from the idempotency key (email), both looked up
-- across tenants, because a receipt names no tenant. And the reason an address is
-- suppressed (a hard bounce, a spam complaint), none for an opt-out by link. The migrator
-- splits this file at semicolons, so none appears inside a statement or a comment.
CREATE INDEX IF NOT EXISTS notifications_by_provider_id ON notifications (channel, provider_id) WHERE provider_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS notifications_by_idempotency_key ON notifications (idempotency_key);
ALTER TABLE opt_outs ADD COLUMN IF NOT EXISTS reason TEXT;
CREATE INDEX IF NOT EXISTS opt_outs_newest ON opt_outs (tenant_id, at)
