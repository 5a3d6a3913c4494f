-- The API keys page (issue 16): a key's first characters, so its tenant can tell the keys
-- apart without the key being stored. Keys made before have none ('').
ALTER TABLE api_keys ADD COLUMN prefix TEXT NOT NULL DEFAULT '';
