-- Since when the agent holding a chat now has it (their acceptance, or a transfer to them): the
-- supervisor's floor counts the conversation from there. accepted_at keeps the first acceptance, for
-- the wallboard's statistics.
ALTER TABLE interactions ADD COLUMN held_since INTEGER;
