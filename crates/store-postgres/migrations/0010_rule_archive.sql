-- Deleting a rule archives it (issue 16): it stops and leaves the lists, and its history is
-- kept. NULL: a live rule. Only adds a nullable column, so the previous release runs on.
ALTER TABLE rules ADD COLUMN IF NOT EXISTS archived_at TIMESTAMPTZ
