-- The Idempotency-Key a chat was started with (domain/chat-starts.ts): its hash finds the chat again
-- when Start chat is sent again with it (unique, so two starts with one key cannot both be stored),
-- and the token is derived from the key and this random salt, so the key alone gives no token.
ALTER TABLE interactions ADD COLUMN start_key_hash TEXT;
ALTER TABLE interactions ADD COLUMN start_token_salt TEXT;
CREATE UNIQUE INDEX interactions_start_key ON interactions(start_key_hash) WHERE start_key_hash IS NOT NULL;
