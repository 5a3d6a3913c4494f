-- The claim finds due rows tenant by tenant (notifications_due_by_tenant, migration 3), and the
-- scheduled count reads that index as well, so nothing reads notifications_due any more, while
-- every notification wrote it twice (stored, then leased by a claim). A node of the previous
-- release claims by tenant too. The migrator splits this file at semicolons, so none appears
-- inside a statement or a comment.
DROP INDEX IF EXISTS notifications_due
