-- Since when a requeued chat (its agent was disabled) waits again; its first acceptance stays in
-- accepted_at for the wallboard's statistics.
ALTER TABLE interactions ADD COLUMN requeued_at INTEGER;
