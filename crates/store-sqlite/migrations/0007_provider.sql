-- Provider failover (issue 17): the named SMS provider or SMTP server that sent a
-- notification (or, not sent, that its last attempt reached), shown in the log and the API,
-- and taken into account when a provider's delivery report names its own message id (an id
-- is unique per provider only). NULL for what was sent before providers were recorded.
ALTER TABLE notifications ADD COLUMN provider TEXT;
