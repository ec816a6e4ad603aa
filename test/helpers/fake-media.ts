// Fakes of the call and video adapters (Telephony, CallRecorder, VideoRooms) for unit tests of the
// rules: each records the commands it was given, and fails on demand as the real part would.
import { DomainError } from '../../src/domain/errors.ts';
import type { ConsultCallEvents } from '../../src/domain/handoff.ts';
import type { CallRecorder, CallRequest, RecordingRef, Telephony, VideoParticipant, VideoRoomDump, VideoRooms, VideoSignal } from '../../src/domain/ports.ts';

// Records every command, by leg id; `failNext` makes the next command throw as an unreachable Asterisk would.
export class FakeTelephony implements Telephony {
  readonly calls: string[] = [];
  failNext: Error | null = null;
  async placeCall(request: CallRequest): Promise<void> {
    this.#do(`place ${request.legId}`);
  }
  async release(legId: string): Promise<void> {
    this.#do(`release ${legId}`);
  }
  async hold(legId: string): Promise<void> {
    this.#do(`hold ${legId}`);
  }
  async unhold(legId: string): Promise<void> {
    this.#do(`unhold ${legId}`);
  }
  async mute(legId: string): Promise<void> {
    this.#do(`mute ${legId}`);
  }
  async unmute(legId: string): Promise<void> {
    this.#do(`unmute ${legId}`);
  }
  async moveToAgent(legId: string, agentId: string, turn: number): Promise<void> {
    this.#do(`move ${legId} to ${agentId} (${turn})`);
  }
  // A ring ended by the domain: a test that holds moveToAgent() open rejects it.
  onEndRing: (() => void) | null = null;
  endTransferRing(legId: string): void {
    this.calls.push(`end ring ${legId}`);
    this.onEndRing?.();
  }
  // The consult's phone, as Asterisk would report it: a test answers it, hangs it up, or ends the call.
  readonly consults = new Map<string, ConsultCallEvents>();
  async startConsult(legId: string, agentId: string, turn: number, events: ConsultCallEvents): Promise<void> {
    this.#do(`consult ${legId} with ${agentId} (${turn})`);
    this.consults.set(legId, events);
  }
  async completeConsult(legId: string): Promise<void> {
    this.#do(`complete consult ${legId}`);
    this.consults.delete(legId);
  }
  async endConsult(legId: string): Promise<void> {
    this.#do(`end consult ${legId}`);
    this.consults.delete(legId);
  }
  // Agents whose phone is not registered.
  readonly noPhone = new Set<string>();
  async hasPhone(agentId: string): Promise<boolean> {
    return !this.noPhone.has(agentId);
  }

  #do(call: string): void {
    this.calls.push(call);
    const failure = this.failNext;
    this.failNext = null;
    if (failure) throw failure;
  }
}

// Records every command, by recording id; `failNext` makes the next command throw as Asterisk would.
export class FakeRecorder implements CallRecorder {
  readonly calls: string[] = [];
  failNext: Error | null = null;

  // What the telephony holds (held()): every recording started and not discarded.
  readonly holding = new Map<string, RecordingRef>();

  async start(legId: string, ref: RecordingRef): Promise<void> {
    this.#do(`start ${legId} ${ref.recordingId}`);
    this.holding.set(ref.recordingId, ref);
  }
  async pause(ref: RecordingRef): Promise<void> {
    this.#do(`pause ${ref.recordingId}`);
  }
  async resume(ref: RecordingRef): Promise<void> {
    this.#do(`resume ${ref.recordingId}`);
  }
  async collect(ref: RecordingRef): Promise<{ bytes: Buffer; contentType: string }> {
    this.#do(`collect ${ref.recordingId}`);
    return { bytes: Buffer.from(`audio of ${ref.recordingId}`), contentType: 'audio/wav' };
  }
  async discard(ref: RecordingRef): Promise<void> {
    this.#do(`discard ${ref.recordingId}`);
    this.holding.delete(ref.recordingId);
  }
  async held(): Promise<RecordingRef[]> {
    this.#do('held');
    return [...this.holding.values()];
  }

  #do(call: string): void {
    this.calls.push(call);
    const failure = this.failNext;
    this.failNext = null;
    if (failure) throw failure;
  }
}

// Records every call; `failOpen` makes the next open() fail as an SFU with no worker would.
export class FakeVideoRooms implements VideoRooms {
  readonly calls: string[] = [];
  readonly rooms = new Set<string>();
  failOpen: DomainError | null = null;

  async open(sessionId: string): Promise<void> {
    this.calls.push(`open ${sessionId}`);
    if (this.failOpen) throw this.failOpen;
    this.rooms.add(sessionId);
  }
  async close(sessionId: string): Promise<void> {
    this.calls.push(`close ${sessionId}`);
    this.rooms.delete(sessionId);
  }
  async signal(sessionId: string, participant: VideoParticipant, request: VideoSignal): Promise<unknown> {
    this.calls.push(`signal ${participant} ${request.op}`);
    if (!this.rooms.has(sessionId)) throw new DomainError('not_found', 'video_session_not_found', 'no room');
    return request.op === 'consume' ? { consumers: [], live: [] } : { routerRtpCapabilities: { codecs: [] } };
  }
  leave(sessionId: string, participant: VideoParticipant): void {
    this.calls.push(`leave ${sessionId} ${participant}`);
  }
  async dump(): Promise<VideoRoomDump> {
    const none = { transports: 0, producers: 0, consumers: 0 };
    return { ...none, participants: { agent: none, customer: none } };
  }
}
