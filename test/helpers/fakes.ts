// A contact center wired as main.ts wires it, on the in-memory ports of fake-ports.ts, and the
// assertions and builders the unit tests share.
import { ContactCenter } from '../../src/domain/contact-center.ts';
import type { ContactCenterConfig, NewChat } from '../../src/domain/contact-center-types.ts';
import type { Test } from 'tap';
import type { Agent, Service } from '../../src/domain/directory.ts';
import { DomainError, type ErrorKind } from '../../src/domain/errors.ts';
import { DomainEvents, type DomainEvent } from '../../src/domain/events.ts';
import { newInteraction, type InteractionRecord } from '../../src/domain/interaction.ts';
import type { CallRecorder, InteractionStore, Telephony, VideoRooms } from '../../src/domain/ports.ts';
import { CallRecordings } from '../../src/domain/call-recordings.ts';
import type { CallLeg } from '../../src/domain/call-leg.ts';
import type { MediaCapabilities } from '../../src/domain/guards.ts';
import { Interactions } from '../../src/domain/interactions.ts';
import { MultimediaDesk } from '../../src/domain/multimedia.ts';
import { HandoffDesk } from '../../src/domain/handoff-desk.ts';
import { SupervisionDesk } from '../../src/domain/supervision-desk.ts';
import { ManualClock, MemoryAttachmentStore, MemoryDirectory, MemoryInteractionStore, MemoryRecordingStore } from './fake-ports.ts';

// ---- a wired contact center ----------------------------------------------------------------------

export const SERVICES: Service[] = [
  { id: 'roadside', name: 'Roadside assistance', autoDial: false },
  { id: 'billing', name: 'Billing', autoDial: true },
];

export const AGENTS: Agent[] = [
  { id: 'alice', displayName: 'Alice', passwordHash: 'x', serviceIds: ['roadside'], role: 'agent' },
  { id: 'bob', displayName: 'Bob', passwordHash: 'x', serviceIds: ['roadside'], role: 'agent' },
  { id: 'carol', displayName: 'Carol', passwordHash: 'x', serviceIds: ['billing'], role: 'agent' },
];

export const DEFAULT_CONFIG: ContactCenterConfig = { offerTimeoutMs: 30_000, maxChatsPerAgent: 3, endedChatAccessMs: 4 * 3600_000 };

// The interactions are in memory unless a store is given (the real SQLite store, say).
export interface Harness<S extends InteractionStore = MemoryInteractionStore> {
  center: ContactCenter;
  // The call and video components, wired as main.ts wires them (without telephony or video unless asked).
  desk: MultimediaDesk;
  // Call recordings (nothing is recorded without a recorder).
  recordings: CallRecordings;
  recordingFiles: MemoryRecordingStore;
  interactions: Interactions;
  store: S;
  directory: MemoryDirectory;
  attachments: MemoryAttachmentStore;
  clock: ManualClock;
  // What was emitted, in order; `bus` is where more listeners (an SMS desk) subscribe.
  events: DomainEvent[];
  bus: DomainEvents;
  listenerErrors: unknown[];
  config: ContactCenterConfig;
}

export interface HarnessOptions<S extends InteractionStore = MemoryInteractionStore> {
  config?: Partial<ContactCenterConfig>;
  // Interactions' MAX_CHAT_ENTRIES (default LIMITS.chatEntriesMax).
  maxChatEntries?: number;
  services?: Service[];
  agents?: Agent[];
  store?: S;
  clock?: ManualClock;
  // Skip recover() (it loads the agents); for tests that call it themselves.
  recover?: boolean;
  telephony?: Telephony;
  video?: VideoRooms;
  recorder?: CallRecorder;
}

export async function makeCenter<S extends InteractionStore>(options: HarnessOptions<S> & { store: S }): Promise<Harness<S>>;
export async function makeCenter(options?: HarnessOptions): Promise<Harness>;
export async function makeCenter<S extends InteractionStore = MemoryInteractionStore>(options: HarnessOptions<S> = {}): Promise<Harness<S>> {
  const store = options.store ?? (new MemoryInteractionStore() as InteractionStore as S);
  const directory = new MemoryDirectory(options.services ?? SERVICES, options.agents ?? AGENTS);
  const attachments = new MemoryAttachmentStore();
  const clock = options.clock ?? new ManualClock();
  const events: DomainEvent[] = [];
  const listenerErrors: unknown[] = [];
  const bus = new DomainEvents((err) => listenerErrors.push(err));
  bus.subscribe((event) => events.push(event));
  const config = { ...DEFAULT_CONFIG, ...options.config };
  const interactions = new Interactions({ store, events: bus, clock, maxChatEntries: options.maxChatEntries });
  const recordingFiles = new MemoryRecordingStore();
  const recordings = new CallRecordings({
    interactions,
    directory,
    recorder: options.recorder ?? null,
    files: recordingFiles,
    clock,
    events: bus,
    media: (): MediaCapabilities => desk.capabilities,
    retentionMs: 30 * 86_400_000,
    onError: (err) => listenerErrors.push(err),
  });
  const onCallChanged = (rec: InteractionRecord, leg: CallLeg) => recordings.callChanged(rec, leg);
  const desk: MultimediaDesk = new MultimediaDesk({ interactions, directory, telephony: options.telephony ?? null, video: options.video ?? null, clock, events: bus, onCallChanged });
  const center = new ContactCenter({ interactions, media: desk, store, directory, attachments, events: bus, clock, timers: clock, config });
  if (options.recover !== false) await center.recover();
  return { center, desk, recordings, recordingFiles, interactions, store, directory, attachments, clock, events, bus, listenerErrors, config };
}

let phoneCounter = 0;

export function newChat(overrides: Partial<NewChat> = {}): NewChat {
  phoneCounter += 1;
  return {
    serviceId: 'roadside',
    channel: 'web',
    customer: { name: 'Dana Driver', phone: `+1555${String(1_000_000 + phoneCounter).slice(-7)}` },
    ...overrides,
  };
}

// Starts a chat and lets the clock move 1 ms, so chats started one after another have distinct,
// ordered creation times.
export async function startChat(h: Harness, overrides: Partial<NewChat> = {}) {
  const started = await h.center.startChat(newChat(overrides));
  h.clock.advance(1);
  return started;
}

// An admin disabling the agent, as the admin hook does it (administration.ts, main.ts): the directory
// first, then routing hears of it.
export async function disableAgent(h: Pick<Harness, 'directory' | 'center'>, agentId: string): Promise<void> {
  const agent = { ...(await h.directory.getAgent(agentId))!, disabled: true };
  await h.directory.saveAgent(agent);
  await h.center.agentChanged(agent);
}

// A chat accepted by `agentId` (who must be the only Ready agent of the service, or the one chosen).
export async function activeChat(h: Harness, agentId = 'alice', overrides: Partial<NewChat> = {}) {
  h.center.setPresence(agentId, 'make_ready');
  const started = await startChat(h, overrides);
  await h.center.accept(agentId, started.interaction.id);
  return started;
}


// ---- assertions ----------------------------------------------------------------------------------

// Runs `action` and checks it fails with a DomainError of this kind (and code, when given). Returns
// the error so a test can look further at it.
export async function expectDomainError(
  t: Test,
  action: Promise<unknown> | (() => unknown),
  kind: ErrorKind,
  code?: string,
  what = '',
): Promise<DomainError | undefined> {
  const prefix = what ? `${what}: ` : '';
  let error: unknown;
  try {
    await (typeof action === 'function' ? action() : action);
  } catch (err) {
    error = err;
  }
  if (!(error instanceof DomainError)) {
    t.fail(`${prefix}expected a DomainError ${kind}${code ? `/${code}` : ''}`, { found: error });
    return undefined;
  }
  t.equal(error.kind, kind, `${prefix}error kind is ${kind}`);
  if (code !== undefined) t.equal(error.code, code, `${prefix}error code is ${code}`);
  t.ok(error.message.length > 0, `${prefix}error carries a message for the user`);
  return error;
}

/** An interaction record with every field set to a plain default; `overrides` change any of them. */
export function interactionRecord(overrides: Partial<InteractionRecord> = {}): InteractionRecord {
  const plain = newInteraction({ id: 'i-1', serviceId: 'roadside', channel: 'web', customer: { name: 'Dana', phone: '+15551234567' }, tokenHash: '00', createdAt: 0, context: { fields: {} } });
  return { ...plain, ...overrides };
}

/** The handoff desk wired as main.ts wires it; `supervision`, the desk that takes listening supervisors
 * off a call before it moves (by default one without telephony). */
export function makeHandoffDesk(h: Harness, supervision?: SupervisionDesk): HandoffDesk {
  supervision ??= new SupervisionDesk({ interactions: h.interactions, telephony: null, directory: h.directory, clock: h.clock, capabilities: h.desk.capabilities });
  return new HandoffDesk({ interactions: h.interactions, routing: h.center, directory: h.directory, events: h.bus, clock: h.clock, timers: h.clock, media: h.desk, supervision, config: h.config });
}
