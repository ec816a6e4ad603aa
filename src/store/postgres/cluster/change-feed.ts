import pg from 'pg';
import { CLIENT_KEEPALIVE, SESSION_OPTIONS } from '../session-options.ts';

// What a commit changed, as other nodes need to hear it: an interaction (its row and its timeline up to
// `seq`), an agent's presence, an agent's sessions ended, or whether the leader reaches Asterisk. The
// payload names things only; every node reads what changed from the tables, by sequence number.
export type Change =
  | { kind: 'interaction'; id: string; seq: number }
  | { kind: 'presence'; agentId: string }
  // All of the agent's sessions but `keepHash`'s; `session_ended`: one (a logout). Hashes of session ids
  // (new names: a node of the release before read a raw `keep`, and knows no `session_ended`).
  | { kind: 'sessions_ended'; agentId: string; keepHash?: string }
  | { kind: 'session_ended'; agentId: string; idHash: string }
  | { kind: 'telephony'; available: boolean };

export const CHANGES_CHANNEL = 'mcc_changes';
// NOTIFY payloads stop at 8000 bytes; one commit batch's changes are split below that.
const MAX_PAYLOAD = 7000;

// A statement on the writing transaction (the group commit's `Query`).
type Query = (text: string, values?: readonly unknown[]) => Promise<unknown>;

// Called inside the writing transaction, so PostgreSQL delivers the notification exactly at commit
// (and never for a rolled-back batch): a listener woken by it always finds the rows committed.
// Every payload in one statement: a batch touching a thousand chats needs about ten.
export async function notifyChanges(query: Query, changes: readonly Change[]): Promise<void> {
  const list = payloads(changes);
  if (list.length > 0) await query('SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload', [CHANGES_CHANNEL, list]);
}

// One interaction's several entries in a batch fold into one change, up to the highest seq.
export function payloads(changes: readonly Change[]): string[] {
  const folded = new Map<string, Change>();
  for (const change of changes) {
    const key = keyOf(change);
    const seen = folded.get(key);
    if (!seen || (seen.kind === 'interaction' && change.kind === 'interaction' && change.seq > seen.seq)) folded.set(key, change);
  }
  return chunked([...folded.values()]);
}

function keyOf(change: Change): string {
  if (change.kind === 'interaction') return `i:${change.id}`;
  if (change.kind === 'telephony') return 'telephony';
  if (change.kind === 'sessions_ended') return `${change.kind}:${change.agentId}:${change.keepHash ?? ''}`;
  if (change.kind === 'session_ended') return `${change.kind}:${change.idHash}`;
  return `${change.kind}:${change.agentId}`;
}

function chunked(changes: Change[]): string[] {
  const out: string[] = [];
  let chunk: Change[] = [];
  let size = 2;
  for (const change of changes) {
    const length = JSON.stringify(change).length + 1;
    if (chunk.length > 0 && size + length > MAX_PAYLOAD) {
      out.push(JSON.stringify(chunk));
      chunk = [];
      size = 2;
    }
    chunk.push(change);
    size += length;
  }
  if (chunk.length > 0) out.push(JSON.stringify(chunk));
  return out;
}

export interface ChangeListenerOptions {
  connectionString: string;
  nodeId: string;
  onChanges(changes: Change[]): void;
  // (Re)connected: notifications sent while this node was not listening are lost, so it catches up
  // from the tables (by seq) before relying on the feed again. Also called on the first connect.
  onListening(): void;
  onError(err: Error): void;
  reconnectMs?: number;
}

// Every node LISTENs on a dedicated connection; a broken one is replaced, then onListening catches up.
export class ChangeListener {
  readonly #o: ChangeListenerOptions;
  #client: pg.Client | undefined;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: ChangeListenerOptions) {
    this.#o = options;
  }

  async start(): Promise<void> {
    await this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#client?.end();
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#o.connectionString, application_name: `mcc-listen:${this.#o.nodeId}`.slice(0, 63), ...CLIENT_KEEPALIVE, options: SESSION_OPTIONS });
    let broken = false;
    const onBroken = (err: Error) => {
      if (broken || this.#stopped) return;
      broken = true;
      this.#o.onError(err);
      client.end().catch(() => undefined); // already broken: its error was just reported
      this.#retry();
    };
    client.on('error', onBroken);
    client.on('end', () => onBroken(new Error('the LISTEN connection closed')));
    client.on('notification', (msg) => {
      if (msg.channel !== CHANGES_CHANNEL || !msg.payload) return;
      try {
        this.#o.onChanges(JSON.parse(msg.payload) as Change[]);
      } catch (err) {
        this.#o.onError(err as Error);
      }
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (err) {
      broken = true; // the caller retries; the handlers above must not retry this client too
      client.end().catch(() => undefined); // its error is the one thrown
      throw err;
    }
    this.#client = client;
    this.#o.onListening();
  }

  #retry(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#connect().catch((err: unknown) => {
        this.#o.onError(err as Error);
        this.#retry();
      });
    }, this.#o.reconnectMs ?? 500);
  }
}
