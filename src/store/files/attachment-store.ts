import { mkdir, open, readdir, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { AttachmentStore } from '../../domain/ports.ts';

const SAFE_ID = /^[0-9a-f-]{36}$/;

// Photos (and, in their own folder, call recordings) live as plain files in the data folder, written to
// a temporary name, synced, renamed, the folder synced: a photo is acknowledged only once it is on disk
// whole, under its name.
export class FileAttachmentStore implements AttachmentStore {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  async init(): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
  }

  async save(id: string, bytes: Uint8Array): Promise<void> {
    const path = this.pathOf(id);
    const tmp = `${path}.part`;
    const file = await open(tmp, 'w', 0o600); // customers' photos: this server's user only
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
    // The rename itself is on disk only once the folder is synced (POSIX; ext4 and XFS mostly carry it
    // with the next commit, btrfs need not): else the chat's entry could outlive its photo's name.
    const folder = await open(this.#dir, 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  }

  read(id: string): Promise<Buffer> {
    return readFile(this.pathOf(id));
  }

  // The ids of the files last written before `cutoff` (ms): what a sweep may find left without a row.
  async idsWrittenBefore(cutoff: number): Promise<string[]> {
    const ids: string[] = [];
    for (const name of await readdir(this.#dir)) {
      if (SAFE_ID.test(name) && (await stat(join(this.#dir, name))).mtimeMs < cutoff) ids.push(name);
    }
    return ids;
  }

  pathOf(id: string): string {
    if (!SAFE_ID.test(id)) throw new Error(`invalid attachment id ${id}`);
    return join(this.#dir, id);
  }
}
