// The durable floor for bench:chat: the bare relay (baseline-relay.ts) plus the one thing durability
// cannot do without. Each customer frame is stored as a timeline entry through the product's own store
// parts (its schema with both unique indexes, the writer thread, group commit, the checkpoint thread),
// and forwarded to its agent and acknowledged only once that commit is on disk. No rules, no reads, no
// rendering: what the product adds on top of this floor is its own cost, the rest is the disk's and
// this machine's. Same URLs as the relay: customers /c?chat=<n>&agent=<k>, agents /a?agent=<k>.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { openDurableDatabase } from '../src/store/sqlite/durable-database.ts';
import { serviceValues, timelineValues } from '../src/store/rows.ts';
import { saveInteractionStatements, sqlitePlaceholder, writeStatements } from '../src/store/sql.ts';
import { newInteraction } from '../src/domain/interaction.ts';
import type { TimelineEntry } from '../src/domain/timeline.ts';

const SQL = writeStatements(sqlitePlaceholder);
const dir = mkdtempSync(join(tmpdir(), 'cc-durable-relay-'));
const store = openDurableDatabase(join(dir, 'cc.db'), (err) => {
  console.error(err);
  process.exit(1);
});
const SERVICE = serviceValues({ id: 'relay', name: 'Relay', autoDial: false, recordCalls: false, disabled: false } as Parameters<typeof serviceValues>[0]);
const interactions = new Map<string, { id: string; seq: number }>();

// The chat's interaction row, written (durably) at its socket's first frame: the timeline's foreign key.
async function interactionOf(chat: string): Promise<{ id: string; seq: number }> {
  const known = interactions.get(chat);
  if (known) return known;
  const created = { id: `relay-${chat}`, seq: 0 };
  interactions.set(chat, created);
  const rec = newInteraction({ id: created.id, serviceId: 'relay', channel: 'web', customer: { name: 'x', phone: '+15550000000' }, tokenHash: 'x', createdAt: Date.now(), context: { fields: {} } });
  await store.batcher.write([[SQL.saveService, SERVICE], ...saveInteractionStatements(SQL, rec)]);
  return created;
}

const agents = new Map<string, WebSocket>();
const server = createServer();
const wss = new WebSocketServer({ server });
wss.on('connection', (ws, req) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const agent = url.searchParams.get('agent') ?? '';
  if (url.pathname === '/a') {
    agents.set(agent, ws);
    return;
  }
  const chat = url.searchParams.get('chat') ?? '';
  const ready = interactionOf(chat);
  ws.on('message', (data) => {
    const frame = String(data);
    const body = JSON.parse(frame) as { text: string; client_id: string };
    ready
      .then((interaction) => {
        const seq = ++interaction.seq;
        const entry: TimelineEntry = { interactionId: interaction.id, seq, id: randomUUID(), kind: 'message', author: 'customer', agentId: null, text: body.text, clientId: body.client_id, attachment: null, data: null, createdAt: Date.now() };
        return store.batcher.write([[SQL.insertEntry, timelineValues(entry)]]);
      })
      .then(() => {
        agents.get(agent)?.send(frame);
        ws.send('{"type":"ack"}');
      })
      .catch((err: unknown) => console.error(err));
  });
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(JSON.stringify({ msg: 'listening', port: typeof address === 'object' && address ? address.port : 0 }));
});
process.on('SIGTERM', () => {
  void store.close().finally(() => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
});
