import type { AttachmentStore } from '../../domain/ports.ts';
import { AttachmentNotFound } from '../errors.ts';
import { failure } from './group-commit.ts';
import { PgStore } from './pg-store.ts';

// Photos as bytea, so every node of a cluster reaches them. A photo is one INSERT of its own, outside
// the group commit: its megabytes would hold up the small writes batched with it, and a photo is
// acknowledged once that INSERT has committed, as any write.
export class PgAttachmentStore extends PgStore implements AttachmentStore {
  async save(id: string, bytes: Uint8Array): Promise<void> {
    await this.pool.query(
      'INSERT INTO attachments (id, bytes, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET bytes = excluded.bytes',
      [id, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), Date.now()],
    ).catch((err: unknown) => {
      throw failure(err);
    });
  }

  async read(id: string): Promise<Buffer> {
    const bytes = await this.one('SELECT bytes FROM attachments WHERE id = $1', (row) => row.bytes as Buffer, id);
    if (!bytes) throw new AttachmentNotFound(id);
    return bytes;
  }
}
