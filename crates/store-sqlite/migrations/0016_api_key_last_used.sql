-- The API keys page (issue 16): when each key was last used (epoch milliseconds), so a tenant
-- sees which keys its programs still use before revoking one. Written at most about once a
-- minute per key, not on every request. NULL: never used since it was recorded.
ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER;
