-- The notification log lists a tenant's messages newest first (by id), a page at a time. No
-- index led with the tenant and went on by id, so a page read the whole table, or walked all
-- messages newest first until it had the tenant's: its cost grew with every tenant's
-- messages. With this index a page reads the tenant's newest messages until it has enough. A
-- node of the previous release reads as before. The migrator splits this file at semicolons,
-- so none appears inside a statement or a comment.
CREATE INDEX IF NOT EXISTS notifications_log ON notifications (tenant_id, id);
-- The store's statements name the tenant as a subquery, whose value the planner does not see,
-- so it takes a tenant for the average share of the table: all of it while the statistics
-- know one tenant, and then walking every message by id looks as cheap as the tenant's by this
-- index. Declared many, a tenant is planned as a small share of the table, which it is once
-- tenants are several. The new figure counts from the column's next analysis, made here.
ALTER TABLE notifications ALTER COLUMN tenant_id SET (n_distinct = 1000);
ANALYZE notifications (tenant_id)
