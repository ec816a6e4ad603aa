import { conflict } from '../../domain/errors.ts';
import type { InteractionRecord, InteractionState } from '../../domain/interaction.ts';
import type { InteractionStore } from '../../domain/ports.ts';
import type { TimelineEntry, TimelineKind } from '../../domain/timeline.ts';
import { clientIdTaken, interactionValues, timelineValues, toEntry, toInteraction } from '../rows.ts';
import { pgPlaceholder, writeStatements } from '../sql.ts';
import { PgStore } from './pg-store.ts';

const SQL = writeStatements(pgPlaceholder);
// The client id's conflict inserts nothing and so returns no row; a repeated seq is an error.
const INSERT_ENTRY = `${SQL.insertEntry} RETURNING seq`;

export class PgInteractionStore extends PgStore implements InteractionStore {
  async loadOpenInteractions(): Promise<InteractionRecord[]> {
    // last_seq is saved with state changes only; messages move it on, so take it from the timeline.
    const rows = await this.all(
      `SELECT i.*, GREATEST(i.last_seq, COALESCE((SELECT MAX(seq) FROM timeline t WHERE t.interaction_id = i.id), 0)) AS open_last_seq
       FROM interactions i WHERE i.state <> 'ended' ORDER BY i.created_at`,
      (row) => ({ ...row, last_seq: row.open_last_seq }),
    );
    return rows.map(toInteraction);
  }

  getInteraction(id: string): Promise<InteractionRecord | undefined> {
    return this.one('SELECT * FROM interactions WHERE id = $1', toInteraction, id);
  }

  saveInteraction(rec: InteractionRecord): Promise<void> {
    const values = interactionValues(rec);
    return this.writes.write((query) => query(SQL.upsertInteraction, values).then(() => undefined), [{ kind: 'interaction', id: rec.id, seq: rec.lastSeq }]);
  }

  // The interaction given with its entry is saved in the same write: if the entry is refused (its seq,
  // or its client id), the write rolls back and neither is kept.
  appendEntry(entry: TimelineEntry, interaction?: InteractionRecord): Promise<void> {
    const upsert = interaction ? interactionValues(interaction) : null;
    const values = timelineValues(entry);
    return this.writes.write(async (query) => {
      if (upsert) await query(SQL.upsertInteraction, upsert);
      const inserted = await query(INSERT_ENTRY, values);
      if (inserted.rowCount === 0) throw conflict('client_id_taken', clientIdTaken(entry.clientId));
    }, [{ kind: 'interaction', id: entry.interactionId, seq: entry.seq }]);
  }

  findEntryByClientId(interactionId: string, clientId: string): Promise<TimelineEntry | undefined> {
    return this.one('SELECT * FROM timeline WHERE interaction_id = $1 AND client_id = $2', toEntry, interactionId, clientId);
  }

  listEntries(interactionId: string, query: { afterSeq?: number; kinds?: readonly TimelineKind[] } = {}): Promise<TimelineEntry[]> {
    return this.all(
      'SELECT * FROM timeline WHERE interaction_id = $1 AND seq > $2 AND ($3::text[] IS NULL OR kind = ANY($3)) ORDER BY seq',
      toEntry,
      interactionId,
      query.afterSeq ?? 0,
      query.kinds ?? null,
    );
  }

  listHistory(agentId: string, limit: number): Promise<InteractionRecord[]> {
    return this.all("SELECT * FROM interactions WHERE agent_id = $1 AND state = 'ended' ORDER BY ended_at DESC LIMIT $2", toInteraction, agentId, limit);
  }

  async countByState(): Promise<Record<InteractionState, number>> {
    const counts: Record<InteractionState, number> = { queued: 0, offered: 0, active: 0, ended: 0 };
    for (const row of (await this.pool.query('SELECT state, COUNT(*) AS n FROM interactions GROUP BY state')).rows) {
      counts[row.state as InteractionState] = Number(row.n);
    }
    return counts;
  }
}
