import type { RecordingStore } from '../../domain/ports.ts';
import type { RecordingFile } from '../../domain/recording.ts';
import { AttachmentNotFound } from '../errors.ts';
import { recordingFileOf } from '../rows.ts';
import { failure } from './group-commit.ts';
import { PgStore } from './pg-store.ts';

// Recordings as bytea, so every node of a cluster serves them. Like a photo, a file is one INSERT of its
// own, outside the group commit (its megabytes would hold up the small writes batched with it). A
// range is cut by PostgreSQL: a player seeking reads only what it asked for.
export class PgRecordingStore extends PgStore implements RecordingStore {
  async saveRecording(file: RecordingFile, bytes: Uint8Array): Promise<void> {
    await this.pool
      .query('INSERT INTO recordings (id, interaction_id, content_type, size, bytes, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING', [
        file.id,
        file.interactionId,
        file.contentType,
        bytes.byteLength,
        Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        file.recordedAt,
      ])
      .catch((err: unknown) => {
        throw failure(err);
      });
  }

  recordingInfo(id: string): Promise<RecordingFile | undefined> {
    return this.one('SELECT id, interaction_id, content_type, size, created_at FROM recordings WHERE id = $1', recordingFileOf, id);
  }

  async readRecording(id: string, range?: { start: number; end: number }): Promise<Buffer> {
    const bytes = range
      ? await this.one('SELECT substring(bytes FROM $2 FOR $3) AS bytes FROM recordings WHERE id = $1', (row) => row.bytes as Buffer, id, range.start + 1, range.end - range.start + 1)
      : await this.one('SELECT bytes FROM recordings WHERE id = $1', (row) => row.bytes as Buffer, id);
    if (!bytes) throw new AttachmentNotFound(id);
    return bytes;
  }

  async deleteRecordingsBefore(cutoff: number): Promise<string[]> {
    const { rows } = await this.pool.query('DELETE FROM recordings WHERE created_at < $1 RETURNING id', [cutoff]).catch((err: unknown) => {
      throw failure(err);
    });
    return rows.map((row) => String(row.id));
  }
}
