-- Who may see the whole telephony system (every endpoint, every live channel): 'admin'. Agents see
-- their own phones and the calls of their own interactions only.
ALTER TABLE agents ADD COLUMN role TEXT NOT NULL DEFAULT 'agent' CHECK (role IN ('agent', 'admin'));
