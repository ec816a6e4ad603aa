import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { inTransaction } from './database.ts';
import { WriteFailed, type WriteBatcher, type WriteOp } from './write-batcher.ts';

// The (interaction, seq) -> timeline row index, written a chat at a time (migration 007). A timeline
// row is committed alone; its index entry waits here, in memory, until its chat has `chunk` of them
// or has waited `sweepMs`, and then goes to disk with the others: one index page for a few dozen
// messages instead of one page per message. Until then reads take the waiting entries from here.
//
// Every committed row up to the stored watermark is in the index. The watermark only moves past a
// row once its index entry is written (in the same transaction), and rows after it are indexed on
// start, so a crash or a failed index write loses nothing.

const INDEX_ENTRY = 'INSERT OR IGNORE INTO timeline_index (interaction_id, seq, entry_rowid) VALUES (?, ?, ?)';
const RAISE_WATERMARK = 'UPDATE timeline_index_state SET watermark = MAX(watermark, ?)';

interface Entry {
  seq: number;
  rowid: number;
}

interface Chat {
  // Committed rows not yet in the index, in rowid order; the first `flushing` are being written.
  unindexed: Entry[];
  flushing: number;
  // When the first of them was committed.
  waitingSince: number;
  // Seqs whose rows are being written, and the highest committed: a new seq must be above it (the
  // domain hands seqs out in order and only ever gives back the last one), which is what keeps a seq
  // stored once, without asking the index on disk at every write.
  writing: Set<number>;
  highestStored: number;
  ended: boolean;
}

export interface TimelineIndexOptions {
  chunk?: number; // index entries of one chat written together
  sweepMs?: number; // how long an entry may wait for its chunk to fill
  budget?: number; // index entries in one write, about (a chat's entries are not split)
  now?: () => number;
}

export class TimelineIndex {
  readonly #highestSeq: StatementSync;
  readonly #batcher: WriteBatcher;
  readonly #onError: (err: unknown) => void;
  readonly #chunk: number;
  readonly #budget: number;
  readonly #sweepMs: number;
  readonly #now: () => number;
  readonly #chats = new Map<string, Chat>();
  // Rowids being written, in rowid order (they are handed out in order): the first is the lowest.
  readonly #rowsInFlight = new Set<number>();
  #lastRowid: number;
  #watermark: number;
  #lastSweep: number;
  // Chats whose entries are to be written (a chunk is full, or they waited a sweep), in turn.
  readonly #due = new Set<string>();
  // The index write on its way to disk, if any: one at a time.
  #inFlight: Promise<void> | null = null;
  #watermarkDue = false;

  constructor(db: DatabaseSync, batcher: WriteBatcher, onError: (err: unknown) => void, opts: TimelineIndexOptions = {}) {
    this.#batcher = batcher;
    this.#onError = onError;
    this.#chunk = opts.chunk ?? 32;
    this.#budget = opts.budget ?? 1024;
    this.#sweepMs = opts.sweepMs ?? 5000;
    this.#now = opts.now ?? Date.now;
    this.#watermark = this.#lastRowid = indexRowsAfterWatermark(db);
    this.#highestSeq = db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM timeline_index WHERE interaction_id = ?');
    this.#lastSweep = this.#now();
  }

  // Writes one timeline row through `writeRow`, which is given the row's rowid. A seq not above
  // the chat's stored ones, or being written, is refused.
  write(interactionId: string, seq: number, writeRow: (rowid: number) => Promise<void>): Promise<void> {
    const chat = this.#chat(interactionId);
    if (seq <= chat.highestStored || chat.writing.has(seq)) {
      const message = `seq ${seq} of interaction ${interactionId} is already stored or being written (stored up to ${chat.highestStored})`;
      return Promise.reject(new WriteFailed({ message, code: 'ERR_SEQ_TAKEN' }));
    }
    const rowid = ++this.#lastRowid;
    chat.writing.add(seq);
    this.#rowsInFlight.add(rowid);
    const settled = () => {
      chat.writing.delete(seq);
      this.#rowsInFlight.delete(rowid);
    };
    return writeRow(rowid).then(
      () => {
        settled();
        chat.highestStored = Math.max(chat.highestStored, seq);
        if (chat.unindexed.length === 0) chat.waitingSince = this.#now();
        chat.unindexed.push({ seq, rowid });
        this.#afterCommit(interactionId, chat);
      },
      (err: unknown) => {
        settled();
        this.#forgetIfDone(interactionId, chat);
        throw err;
      },
    );
  }

  // The interaction has ended: its entry here goes once its last index entries are written.
  end(interactionId: string): void {
    const chat = this.#chats.get(interactionId);
    if (!chat) return;
    chat.ended = true;
    this.#forgetIfDone(interactionId, chat);
  }

  // Rowids of the chat's committed rows after `afterSeq` that are not in the index yet, as JSON (for json_each).
  unindexedRowids(interactionId: string, afterSeq = 0): string {
    const entries = this.#chats.get(interactionId)?.unindexed ?? [];
    return JSON.stringify(entries.filter((e) => e.seq > afterSeq).map((e) => e.rowid));
  }

  unindexedRowid(interactionId: string, seq: number): number | undefined {
    return this.#chats.get(interactionId)?.unindexed.find((e) => e.seq === seq)?.rowid;
  }

  #chat(interactionId: string): Chat {
    let chat = this.#chats.get(interactionId);
    if (!chat) {
      chat = {
        unindexed: [],
        flushing: 0,
        waitingSince: 0,
        writing: new Set(),
        highestStored: Number(this.#highestSeq.get(interactionId)!.seq), // read once per chat and start
        ended: false,
      };
      this.#chats.set(interactionId, chat);
    }
    return chat;
  }

  #forgetIfDone(interactionId: string, chat: Chat): void {
    if (chat.ended && chat.unindexed.length === 0 && chat.writing.size === 0) this.#chats.delete(interactionId);
  }

  #afterCommit(interactionId: string, chat: Chat): void {
    if (chat.unindexed.length >= this.#chunk) this.#due.add(interactionId);
    const now = this.#now();
    if (now - this.#lastSweep >= this.#sweepMs) {
      this.#lastSweep = now;
      this.#watermarkDue = true;
      for (const [id, waiting] of this.#chats) if (waiting.unindexed.length > 0 && now - waiting.waitingSince >= this.#sweepMs) this.#due.add(id);
    }
    this.#writeDue();
  }

  // One index write at a time, of at most `budget` entries: chats that fill their chunks together
  // (they start together, or come back after a pause) are written over several commits instead of
  // holding up one commit's messages.
  #writeDue(): void {
    if (this.#inFlight || (this.#due.size === 0 && !this.#watermarkDue)) return;
    const chats: [string, Chat][] = [];
    const ops: WriteOp[] = [];
    for (const interactionId of this.#due) {
      if (ops.length >= this.#budget) break;
      this.#due.delete(interactionId);
      const chat = this.#chats.get(interactionId);
      if (!chat || chat.unindexed.length === 0) continue;
      chat.flushing = chat.unindexed.length;
      chats.push([interactionId, chat]);
      for (const { seq, rowid } of chat.unindexed) ops.push([INDEX_ENTRY, [interactionId, seq, rowid]]);
    }
    let watermark: number | undefined;
    if (this.#watermarkDue) {
      this.#watermarkDue = false;
      watermark = this.#firstUnindexedRow() - 1;
      if (watermark > this.#watermark) ops.push([RAISE_WATERMARK, [watermark]]);
    }
    if (ops.length === 0) return;
    this.#inFlight = this.#batcher.write(ops).then(
      () => {
        this.#inFlight = null;
        if (watermark !== undefined) this.#watermark = Math.max(this.#watermark, watermark);
        for (const [interactionId, chat] of chats) {
          chat.unindexed.splice(0, chat.flushing);
          chat.flushing = 0;
          chat.waitingSince = this.#now();
          if (chat.unindexed.length >= this.#chunk) this.#due.add(interactionId);
          else this.#forgetIfDone(interactionId, chat);
        }
        this.#writeDue();
      },
      (err: unknown) => {
        // The entries stay here, readable, and go with the next sweep; the rows are safe on disk.
        this.#inFlight = null;
        for (const [, chat] of chats) chat.flushing = 0;
        this.#onError(err);
      },
    );
  }

  // The lowest rowid that is committed or being committed but whose index entry is not written nor
  // being written now: the watermark must stay below it.
  #firstUnindexedRow(): number {
    let first: number = this.#rowsInFlight.values().next().value ?? this.#lastRowid + 1;
    for (const chat of this.#chats.values()) {
      const waiting = chat.unindexed[chat.flushing];
      if (waiting) first = Math.min(first, waiting.rowid);
    }
    return first;
  }
}

// On start: whatever was committed after the watermark (a crash, or a close with entries waiting)
// goes into the index now. Returns the last rowid, which is also the new watermark.
function indexRowsAfterWatermark(db: DatabaseSync): number {
  inTransaction(db, () => {
    db.exec(`INSERT OR IGNORE INTO timeline_index (interaction_id, seq, entry_rowid)
      SELECT interaction_id, seq, rowid FROM timeline WHERE rowid > (SELECT watermark FROM timeline_index_state)`);
    db.exec('UPDATE timeline_index_state SET watermark = (SELECT COALESCE(MAX(rowid), 0) FROM timeline)');
  });
  return Number(db.prepare('SELECT watermark FROM timeline_index_state').get()!.watermark);
}
