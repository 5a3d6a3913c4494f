-- Personal data (issue 15): when a shipment's personal data was erased (by a person's request
-- or by the retention sweep, epoch milliseconds), so the sweep skips what it already erased
-- unless a later event brought new data. And the index the sweep reads the oldest shipments
-- of a tenant by. Only adds, so the previous release runs on unchanged.
ALTER TABLE shipments ADD COLUMN erased_at INTEGER;
CREATE INDEX IF NOT EXISTS shipments_by_age ON shipments (tenant_id, updated_at);
