-- Every agent who worked an interaction: each agent it was held by (accepted, or accepted by transfer),
-- with the seq at which it got it (the order history names them in). The store adds a row whenever it
-- saves the interaction with an agent not yet listed; an agent only offered it never holds it. History
-- and who may read an interaction (its photos, its recordings) look it up by agent. ended_at is the
-- interaction's, copied to each of its rows when it ends: history reads an agent's latest in index order.
CREATE TABLE interaction_agents (
  interaction_id text NOT NULL REFERENCES interactions (id),
  agent_id text NOT NULL,
  from_seq integer NOT NULL,
  ended_at bigint,
  PRIMARY KEY (interaction_id, agent_id)
);
CREATE INDEX interaction_agents_history ON interaction_agents (agent_id, ended_at, interaction_id) WHERE ended_at IS NOT NULL;

-- What the timeline already tells: each accept, each transfer accepted or consult completed (its
-- target); and who holds it now.
INSERT INTO interaction_agents (interaction_id, agent_id, from_seq)
  SELECT interaction_id, worker, MIN(seq) FROM (
    SELECT interaction_id, seq, CASE kind WHEN 'accepted' THEN agent_id ELSE data->>'toAgentId' END AS worker FROM timeline
    WHERE kind = 'accepted' OR (kind = 'handoff' AND data->>'step' IN ('accepted', 'completed'))
  ) AS steps WHERE worker IS NOT NULL
  GROUP BY interaction_id, worker
  ON CONFLICT DO NOTHING;
INSERT INTO interaction_agents (interaction_id, agent_id, from_seq)
  SELECT id, agent_id, last_seq FROM interactions WHERE agent_id IS NOT NULL
  ON CONFLICT DO NOTHING;
UPDATE interaction_agents SET ended_at = (SELECT ended_at FROM interactions i WHERE i.id = interaction_agents.interaction_id);
