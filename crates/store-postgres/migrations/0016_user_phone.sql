-- A portal user's own mobile number (issue 16), where "Send a test to me" sends an SMS
-- template. Optional, in E.164 form as the domain parses phones, and none for users made before.
ALTER TABLE users ADD COLUMN IF NOT EXISTS phone TEXT
