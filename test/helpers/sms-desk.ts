// An SMS desk wired on the in-memory ports (fakes.ts, fake-sms.ts) or on the real SQLite stores, with a
// rating closure, and the steps the SMS desk's unit tests share (sms-desk*.test.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import type { Service } from '../../src/domain/directory.ts';
import type { ClosureStore } from '../../src/domain/closure-ports.ts';
import type { InteractionStore } from '../../src/domain/ports.ts';
import { Closure } from '../../src/domain/closure.ts';
import { SmsDesk } from '../../src/domain/sms-desk.ts';
import type { InboundSms, SmsStore } from '../../src/domain/sms-ports.ts';
import { openStores } from '../../src/store/open-stores.ts';
import { FakeSender, MemorySmsStore } from './fake-sms.ts';
import { makeCenter, SERVICES } from './fakes.ts';
import { ManualClock, MemoryClosureStore, MemoryInteractionStore } from './fake-ports.ts';

export const ROADSIDE_NO = '+15550009000';
export const BILLING_NO = '+15550009002';
let phoneCounter = 0;
export const newPhone = () => `+1555700${String(++phoneCounter).padStart(4, '0')}`;

export interface DeskOptions {
  interactions?: MemoryInteractionStore;
  sms?: MemorySmsStore;
  // The wrap-ups and ratings: given, they outlive this desk (a restart); otherwise each desk has its own.
  closures?: MemoryClosureStore;
  clock?: ManualClock;
  senders?: 'none';
  ratings?: boolean;
  services?: Service[];
  maxChatEntries?: number;
}

export async function makeDesk(opts: DeskOptions = {}) {
  const clock = opts.clock ?? new ManualClock();
  const interactions = opts.interactions ?? new MemoryInteractionStore();
  const sms = opts.sms ?? new MemorySmsStore(interactions);
  return deskOn({ interactions, sms, closures: opts.closures ?? new MemoryClosureStore(interactions), clock }, opts);
}

// The desk on the stores given (in memory, or the real SQLite ones of sqliteDesk).
async function deskOn<I extends InteractionStore, S extends SmsStore, C extends ClosureStore>(stores: { interactions: I; sms: S; closures: C; clock: ManualClock }, opts: DeskOptions) {
  const { interactions, sms: store, closures, clock } = stores;
  const { center, bus: events, listenerErrors, interactions: open, directory } = await makeCenter({ store: interactions, clock, services: opts.services, maxChatEntries: opts.maxChatEntries });
  const closure = new Closure({ interactions: open, closures, directory, clock, timers: clock, presence: center });
  const sender = new FakeSender();
  const errors: unknown[] = [];
  // Kept in place, as main.ts keeps the services' numbers: a test changes them as an admin would.
  const numbers: Record<string, string> = { [ROADSIDE_NO]: 'roadside', [BILLING_NO]: 'billing' };
  const desk = new SmsDesk({
    center,
    events,
    store,
    clock,
    timers: clock,
    numbers,
    partWaitMs: 30_000,
    senders: opts.senders === 'none' ? {} : { webhook: sender },
    onError: (err) => errors.push(err),
    ratings: opts.ratings ? closure : undefined,
  });
  await desk.recover();
  let n = 0;
  const text = (from: string, body: string, over: Partial<InboundSms> = {}): InboundSms => ({
    id: `in-${++n}-${Math.random().toString(36).slice(2)}`,
    from,
    to: ROADSIDE_NO,
    text: body,
    gateway: 'webhook',
    ...over,
  });
  const customerTexts = async (interactionId: string) =>
    (await center.timeline(interactionId)).filter((e) => e.kind === 'message' && e.author === 'customer').map((e) => e.text);
  return { clock, center, interactions, open: (id: string) => open.get(id), store, sender, desk, errors, listenerErrors, text, customerTexts, closures, directory, numbers };
}

// The desk on the real SQLite stores in a temporary folder (closed and removed when `t` ends). Appends
// to the timeline can be made to fail, as while the store is briefly unavailable.
export async function sqliteDesk(t: Test, opts: Omit<DeskOptions, 'interactions' | 'sms' | 'clock'> = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'mcc-sms-desk-'));
  const stores = await openStores({ dataDir }, (err) => {
    throw err;
  });
  t.teardown(async () => {
    await stores.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  // The interactions' services, as the directory the domain reads has them.
  for (const s of opts.services ?? SERVICES) await stores.directory.saveService(s);
  const failures: Error[] = [];
  const interactions = new Proxy(stores.store, {
    get(target, key) {
      if (key === 'appendEntry') return (...args: Parameters<InteractionStore['appendEntry']>) => (failures.length > 0 ? Promise.reject(failures.shift()) : target.appendEntry(...args));
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const h = await deskOn({ interactions, sms: stores.smsStore, closures: stores.closures, clock: new ManualClock() }, opts);
  return { ...h, failNextAppends: (err: Error, count = 1) => failures.push(...Array<Error>(count).fill(err)) };
}

export type Desk = Awaited<ReturnType<typeof makeDesk>>;
export type SqliteDesk = Awaited<ReturnType<typeof sqliteDesk>>;

// What a desk started again (after a restart, on another node) finds as it was.
export function durable() {
  const interactions = new MemoryInteractionStore();
  return { interactions, sms: new MemorySmsStore(interactions), clock: new ManualClock() };
}

export async function delivered(h: Pick<Desk, 'desk'>, sms: InboundSms): Promise<string> {
  const result = await h.desk.receive(sms);
  if (result.status !== 'delivered' || !result.interactionId) throw new Error(`expected delivered, got ${JSON.stringify(result)}`);
  return result.interactionId;
}

export async function acceptedBy(h: Desk | SqliteDesk, agentId: string, interactionId: string): Promise<void> {
  h.center.setPresence(agentId, 'make_ready');
  await h.center.accept(agentId, interactionId);
  h.center.setPresence(agentId, 'make_not_ready');
}

// An SMS chat from `from`, handled by alice and disconnected; the rating question has gone out.
export async function endedSmsChat(h: Desk | SqliteDesk, from: string, text: string): Promise<string> {
  const id = await delivered(h, h.text(from, text));
  await acceptedBy(h, 'alice', id);
  await h.center.disconnect('alice', id);
  await h.desk.settled();
  return id;
}
