import { open, unlink } from 'node:fs/promises';
import type { DatabaseSync } from 'node:sqlite';
import type { RecordingStore } from '../../domain/ports.ts';
import type { RecordingFile } from '../../domain/recording.ts';
import { AttachmentNotFound } from '../errors.ts';
import type { FileAttachmentStore } from '../files/attachment-store.ts';
import { recordingFileOf } from '../rows.ts';
import { SqliteStore } from './sqlite-store.ts';
import type { WriteBatcher } from './write-batcher.ts';

// Recordings on one machine: the file under DATA_DIR/recordings (written whole, synced, renamed, as
// photos are), then its row; a range is read from the file at its offset.
export class SqliteRecordingStore extends SqliteStore implements RecordingStore {
  readonly #files: FileAttachmentStore;

  constructor(db: DatabaseSync, batcher: WriteBatcher, files: FileAttachmentStore) {
    super(db, batcher);
    this.#files = files;
  }

  async saveRecording(file: RecordingFile, bytes: Uint8Array): Promise<void> {
    await this.#files.save(file.id, bytes);
    await this.batcher.write([
      ['INSERT OR IGNORE INTO recordings (id, interaction_id, content_type, size, created_at) VALUES (?, ?, ?, ?, ?)', [file.id, file.interactionId, file.contentType, bytes.byteLength, file.recordedAt]],
    ]);
  }

  async recordingInfo(id: string): Promise<RecordingFile | undefined> {
    return this.one('SELECT id, interaction_id, content_type, size, created_at FROM recordings WHERE id = ?', recordingFileOf, id);
  }

  async readRecording(id: string, range?: { start: number; end: number }): Promise<Buffer> {
    const info = await this.recordingInfo(id);
    if (!info) throw new AttachmentNotFound(id);
    if (!range) return this.#files.read(id);
    const handle = await open(this.#files.pathOf(id), 'r');
    try {
      const { buffer, bytesRead } = await handle.read({ buffer: Buffer.alloc(range.end - range.start + 1), position: range.start });
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  // Rows first (nothing is offered whose file is going), then files: those of the rows, and any older
  // file with no row (a save whose row failed, a sweep stopped between the two), so none stays for ever.
  // A file that cannot be deleted now is tried again at the next sweep.
  async deleteRecordingsBefore(cutoff: number): Promise<string[]> {
    const ids = this.all('SELECT id FROM recordings WHERE created_at < ?', (row) => String(row.id), cutoff);
    if (ids.length > 0) await this.batcher.write(ids.map((id) => ['DELETE FROM recordings WHERE id = ?', [id]] as const));
    const hasRow = (id: string) => this.all('SELECT 1 AS one FROM recordings WHERE id = ?', () => true, id).length > 0;
    const files = new Set([...ids, ...(await this.#files.idsWrittenBefore(cutoff)).filter((id) => !hasRow(id))]);
    const failures: unknown[] = [];
    for (const id of files) {
      await unlink(this.#files.pathOf(id)).catch((err: NodeJS.ErrnoException) => err.code === 'ENOENT' || failures.push(err));
    }
    if (failures.length > 0) throw new AggregateError(failures, `${failures.length} recording file(s) could not be deleted`);
    return ids;
  }
}
