-- The hash of the Idempotency-Key a chat was started with (domain/chat-starts.ts): Start chat sent
-- again with it answers with that chat. Unique, so two starts with one key cannot both be stored.
ALTER TABLE interactions ADD COLUMN start_key_hash text;
CREATE UNIQUE INDEX interactions_start_key ON interactions(start_key_hash) WHERE start_key_hash IS NOT NULL;
