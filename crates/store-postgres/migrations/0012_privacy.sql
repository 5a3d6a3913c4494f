-- Personal data (issue 15): when a shipment's personal data was erased (by a person's request
-- or by the retention sweep), so the sweep skips what it already erased unless a later event
-- brought new data. And the index the sweep reads the oldest shipments of a tenant by. Only
-- adds, so the previous release runs on unchanged. The migrator splits this file at
-- semicolons, so none appears inside a statement or a comment.
ALTER TABLE shipments ADD COLUMN IF NOT EXISTS erased_at TIMESTAMPTZ;
CREATE INDEX IF NOT EXISTS shipments_by_age ON shipments (tenant_id, updated_at)
