-- The SMS budget counts, besides the month's sent SMS (notifications_sent), the prices live
-- claims reserved: rows with a price and no sent time. Without an index of their own, each
-- batch's reservation read every waiting message of the tenant to find the few in flight. The
-- rows enter this index when a claim reserves a price and leave it when they are sent or
-- their reservation is cleared, so it holds only what is in flight. A node of the previous
-- release counts as before. The migrator splits this file at semicolons, so none appears
-- inside a statement or a comment.
CREATE INDEX IF NOT EXISTS notifications_reserved ON notifications (tenant_id) WHERE billed_units IS NOT NULL AND sent_at IS NULL
