// bench:chat's chats on the real server, shared by the single-node rounds (chat.ts) and the cluster's
// (chat-cluster.ts): CHATS customer chats accepted by agent1 and agent2, the customers' sockets on one
// node and the agents' desktop sockets on another (or the same).
import { WebSocket } from 'ws';
import { login } from '../test/helpers/fixtures.ts';

export function open(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

export async function inBatches<T>(count: number, size: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i += size) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(size, count - i) }, (_, j) => fn(i + j)))));
  }
  return out;
}

// Every bench customer comes from 127.0.0.1 and sends as fast as it is acknowledged: the abuse limits
// (a few dozen chats an hour from one address, two messages a second in a chat) are lifted.
export const benchEnv = (chats: number): Record<string, string> => ({
  MAX_CHATS_PER_AGENT: String(chats),
  OFFER_TIMEOUT_S: '3600',
  CHATS_PER_ADDRESS_PER_HOUR: '1000000000',
  MESSAGES_PER_CHAT_PER_MINUTE: '1000000000',
  MAX_WAITING_CHATS: String(chats),
  MAX_CHAT_ENTRIES: '1000000000',
  // Every customer socket of the bench comes from 127.0.0.1.
  CUSTOMER_SOCKETS_PER_ADDRESS: String(chats * 2),
});

interface Agent {
  cookie: string;
  csrf: string;
}

const ws = (url: string) => url.replace('http', 'ws');

export interface Chats {
  agents: Agent[];
  chats: Array<{ id: string; token: string }>;
  // Which agent (0 or 1) accepted each chat.
  owner: number[];
  // Each chat's newest seq seen (from the acks), so sockets opened again start after it.
  lastSeq: number[];
}

// Creates the chats through `customerUrl` and has them accepted through `agentUrl`.
export async function createChats(customerUrl: string, agentUrl: string, count: number): Promise<Chats> {
  const agents = await Promise.all(['agent1', 'agent2'].map((name) => login({ url: agentUrl }, name, 'demo')));
  for (const agent of agents) await (await agentPost(agentUrl, '/desktop/presence', agent, 'presence=ready')).arrayBuffer();
  // One at a time: the queue offers them in the order they were made, and they are accepted in that order.
  const chats = await inBatches(count, 1, async (i) => {
    const res = await fetch(`${customerUrl}/api/v1/chats`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'roadside', name: `Bench customer ${i}`, phone: `+1555${String(1000000 + i)}` }),
    });
    return (await res.json()) as { id: string; token: string };
  });
  // Offers go one at a time per agent, oldest chat first: accept them in that order.
  const owner: number[] = [];
  for (const [index, chat] of chats.entries()) {
    for (let attempt = 0; owner.length < index + 1; attempt++) {
      const which = attempt % 2;
      const res = await agentPost(agentUrl, `/desktop/interactions/${chat.id}/accept`, agents[which]!);
      const body = await res.text();
      if (res.ok) owner.push(which);
      else if (attempt > 50) throw new Error(`chat ${chat.id} was never offered: ${res.status} ${body.slice(0, 300)}`);
      else if (attempt % 2 === 1) await new Promise((resolve) => setTimeout(resolve, 20)); // a follower learns of the offer by NOTIFY
    }
  }
  return { agents, chats, owner, lastSeq: chats.map(() => 0) };
}

export function agentPost(baseUrl: string, path: string, agent: Agent, body = ''): Promise<Response> {
  return fetch(baseUrl + path, {
    method: 'POST',
    headers: { cookie: agent.cookie, 'x-csrf-token': agent.csrf, 'hx-request': 'true', 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
}

export interface Sockets {
  customers: WebSocket[];
  agents: WebSocket[];
  close(): void;
}

// The agents' desktop sockets on `agentUrl` following every chat from its newest seq, and the
// customers' sockets on `customerUrl`. The acks keep `lastSeq` up to date.
export async function openSockets(state: Chats, customerUrl: string, agentUrl: string): Promise<Sockets> {
  const agents = await Promise.all(state.agents.map((a) => open(ws(agentUrl) + '/desktop/ws', { cookie: a.cookie, origin: agentUrl })));
  state.chats.forEach((chat, i) => agents[state.owner[i]!]!.send(JSON.stringify({ type: 'sync', interaction: chat.id, after: state.lastSeq[i] })));
  const customers = await inBatches(state.chats.length, 100, async (i) => {
    const { id, token } = state.chats[i]!;
    const socket = await open(`${ws(customerUrl)}/api/v1/chats/${id}/events?token=${token}&after=1000000`);
    socket.on('message', (data) => {
      const text = String(data);
      if (!text.startsWith('{"type":"ack"')) return;
      const seq = (JSON.parse(text) as { message?: { seq?: number } }).message?.seq ?? 0;
      if (seq > state.lastSeq[i]!) state.lastSeq[i] = seq;
    });
    return socket;
  });
  await new Promise((resolve) => setTimeout(resolve, 1000)); // let the sync replies drain
  return {
    customers,
    agents,
    close() {
      for (const socket of [...customers, ...agents]) socket.terminate();
    },
  };
}

// Counts the acknowledgements (each sent once the message is stored durably) the customers' sockets receive.
export function ackCounter(customers: WebSocket[]): { readonly count: number; stop(): void } {
  let count = 0;
  const onFrame = (data: unknown) => {
    if (String(data).startsWith('{"type":"ack"')) count += 1;
  };
  for (const c of customers) c.on('message', onFrame);
  return {
    get count() {
      return count;
    },
    stop: () => {
      for (const c of customers) c.off('message', onFrame);
    },
  };
}
