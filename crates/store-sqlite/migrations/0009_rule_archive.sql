-- Deleting a rule archives it (issue 16): it stops and leaves the lists, and its history is
-- kept. NULL: a live rule (milliseconds since the epoch otherwise).
ALTER TABLE rules ADD COLUMN archived_at INTEGER
