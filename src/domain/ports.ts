import type { Presence } from './agent-presence.ts';
import type { ClosedInteraction, ClosedQuery } from './closure-ports.ts';
import type { Agent, AuditEntry, NewAuditEntry, Service } from './directory.ts';
import type { Milestones } from './floor-stats.ts';
import type { InteractionRecord, InteractionState } from './interaction.ts';
import type { ConsultCallEvents } from './handoff.ts';
import type { RecordingFile } from './recording.ts';
import type { TimelineEntry, TimelineKind } from './timeline.ts';

// A page of an agent's History: `before` is the last row of the page before (its end, its id), as
// for the admins' list (ClosedQuery).
export interface HistoryQuery {
  limit: number;
  before?: ClosedQuery['before'];
}

// Interfaces the adapters implement; main.ts wires them. Every write resolves only once it is durable,
// so the domain acknowledges nothing that a restart could lose.
export interface InteractionStore {
  loadOpenInteractions(): Promise<InteractionRecord[]>;
  getInteraction(id: string): Promise<InteractionRecord | undefined>;
  // The interaction started with this Idempotency-Key's hash (at most one: the database's unique index).
  findInteractionByStartKey(startKeyHash: string): Promise<InteractionRecord | undefined>;
  saveInteraction(rec: InteractionRecord): Promise<void>;
  // `interaction` is given when its state changed with this entry; it is saved in the same write. An
  // entry whose client id the chat already holds is refused with the conflict `client_id_taken`, one
  // whose seq it holds with `seq_taken`. A failure with `maybeCommitted: true` may have been stored
  // (the connection broke during COMMIT).
  appendEntry(entry: TimelineEntry, interaction?: InteractionRecord): Promise<void>;
  findEntryByClientId(interactionId: string, clientId: string): Promise<TimelineEntry | undefined>;
  listEntries(interactionId: string, query?: { afterSeq?: number; kinds?: readonly TimelineKind[] }): Promise<TimelineEntry[]>;
  // Ended interactions the agent worked (held at any point: accepted it, or accepted its transfer; an
  // agent only offered it never held it), latest ended first, each with its wrap-up and rating; at
  // most `limit`, those after `before` in that order (the next page).
  listHistory(agentId: string, query: HistoryQuery): Promise<ClosedInteraction[]>;
  // The agents who worked each of these interactions, in the order they got it (none: []).
  listAgentsOf(interactionIds: readonly string[]): Promise<Map<string, string[]>>;
  countByState(): Promise<Record<InteractionState, number>>;
  // The wallboard's milestones of every interaction created or ended at or after `since`.
  listMilestonesSince(since: number): Promise<Milestones[]>;
}

// `audit`, when given, is written in the same write as the change: both or neither.
export interface Directory {
  listServices(): Promise<Service[]>;
  getService(id: string): Promise<Service | undefined>;
  saveService(service: Service, audit?: NewAuditEntry): Promise<void>;
  listAgents(): Promise<Agent[]>;
  getAgent(id: string): Promise<Agent | undefined>;
  saveAgent(agent: Agent, audit?: NewAuditEntry): Promise<void>;
  // Newest first.
  // Newest first; `beforeSeq`: only entries older than that one (the next page).
  listAudit(limit: number, beforeSeq?: number): Promise<AuditEntry[]>;
}

export interface AttachmentStore {
  save(id: string, bytes: Uint8Array): Promise<void>;
  read(id: string): Promise<Buffer>;
}

// Call recordings, made by the telephony (ARI bridge recordings). Paused is silence in the file.
// A recording in the telephony: it is named with its interaction, so what the telephony still holds
// after an outage is found again, and told from what is not ours.
export interface RecordingRef {
  interactionId: string;
  recordingId: string;
}

export interface CallRecorder {
  start(legId: string, ref: RecordingRef): Promise<void>;
  pause(ref: RecordingRef): Promise<void>;
  resume(ref: RecordingRef): Promise<void>;
  // Stops it if still running, waits until the telephony has closed the file, and hands it over; the
  // telephony keeps its copy until discard(). Throws RecordingFileGone when there is no usable file.
  collect(ref: RecordingRef): Promise<{ bytes: Buffer; contentType: string }>;
  discard(ref: RecordingRef): Promise<void>;
  // Every recording of ours the telephony holds (live ones included).
  held(): Promise<RecordingRef[]>;
}

// Recording files where every node reaches them. `read` takes an inclusive byte range (a player seeking).
export interface RecordingStore {
  saveRecording(file: RecordingFile, bytes: Uint8Array): Promise<void>;
  recordingInfo(id: string): Promise<RecordingFile | undefined>;
  readRecording(id: string, range?: { start: number; end: number }): Promise<Buffer>;
  // Removes every recording created before `cutoff` (ms); returns their ids.
  deleteRecordingsBefore(cutoff: number): Promise<string[]>;
}

// An agent's Ready / Not Ready, kept where a new leader finds it (a cluster's failover keeps Ready
// agents Ready). Optional: a single node starts everyone Not Ready, as before.
export interface StoredPresence {
  agentId: string;
  presence: Presence;
  idleSince: number;
}

export interface AgentPresenceStore {
  loadPresence(): Promise<StoredPresence[]>;
  // Writes of one agent land in the order given.
  savePresence(presence: StoredPresence): Promise<void>;
}

export interface Clock {
  now(): number;
}

export interface Timers {
  schedule(ms: number, fn: () => void): { cancel(): void };
}

export interface CallRequest {
  legId: string;
  interactionId: string;
  serviceId: string;
  agentId: string;
  customerNumber: string;
}

// Voice, implemented over Asterisk ARI. Progress of a placed call comes back through
// MultimediaDesk.onCallEvent.
export interface Telephony {
  placeCall(request: CallRequest): Promise<void>;
  release(legId: string): Promise<void>;
  hold(legId: string): Promise<void>;
  unhold(legId: string): Promise<void>;
  mute(legId: string): Promise<void>;
  unmute(legId: string): Promise<void>;
  // A transfer: the customer hears music on hold while `agentId`'s phone rings, then is bridged to it
  // and the previous agent's phone is hung up. Rejects (the call left with the previous agent, the
  // customer back in the bridge) when the new phone does not answer. `turn` names the new channel.
  // Rejects with CallEndedMeanwhile when the customer hangs up while the new phone rings.
  moveToAgent(legId: string, agentId: string, turn: number): Promise<void>;
  // The transfer is withdrawn while the new phone rings (its agent was disabled): the ring ends and
  // moveToAgent() rejects as for a phone that did not answer. Nothing once the phone has answered.
  endTransferRing(legId: string): void;
  // A consult: the customer hears music on hold while `agentId`'s phone rings (channel `turn`); once
  // it answers, the first agent and it talk in a bridge of their own. Resolves once the phone rings;
  // what follows comes through `events`.
  startConsult(legId: string, agentId: string, turn: number, events: ConsultCallEvents): Promise<void>;
  // Complete transfer: the first agent's phone is hung up, the target's is bridged to the customer.
  completeConsult(legId: string): Promise<void>;
  // Cancel transfer: the target's phone is hung up, the first agent is bridged to the customer again.
  endConsult(legId: string): Promise<void>;
  // Whether the agent has a phone that could ring now (registered), as far as the telephony knows
  // without placing a call.
  hasPhone(agentId: string): Promise<boolean>;
}

// The customer's call ended while it was being moved (a transfer's new phone was ringing): the
// customer hung up, or the call was released (or lost) on this side.
export class CallEndedMeanwhile extends Error {
  readonly customerHungUp: boolean;
  constructor(message: string, customerHungUp = true) {
    super(message);
    this.name = 'CallEndedMeanwhile';
    this.customerHungUp = customerHungUp;
  }
}

export type VideoParticipant = 'agent' | 'customer';

// WebRTC signaling a participant's browser does with the SFU (mediasoup-client's needs), as JSON.
// `consume` takes every producer of the other participant not yet consumed on that transport.
export type VideoSignal =
  | { op: 'capabilities' }
  | { op: 'create_transport' }
  | { op: 'connect_transport'; transportId: string; dtlsParameters: unknown }
  | { op: 'produce'; transportId: string; kind: 'audio' | 'video'; rtpParameters: unknown }
  | { op: 'close_producer'; producerId: string }
  | { op: 'consume'; transportId: string; rtpCapabilities: unknown }
  | { op: 'resume'; consumerId: string }
  | { op: 'close_transport'; transportId: string };

export interface VideoMediaCounts {
  transports: number;
  producers: number;
  consumers: number;
}

// What a video room holds, read from the media server itself (for leak checks and diagnostics).
export interface VideoRoomDump extends VideoMediaCounts {
  participants: Record<VideoParticipant, VideoMediaCounts>;
}

// Video, implemented by the SFU: one room per video session. Errors are DomainErrors.
export interface VideoRooms {
  open(sessionId: string): Promise<void>;
  // Idempotent; closes every transport, producer and consumer of the room.
  close(sessionId: string): Promise<void>;
  signal(sessionId: string, participant: VideoParticipant, request: VideoSignal): Promise<unknown>;
  // A closed tab or a dropped socket: that participant's transports go, the session stays.
  leave(sessionId: string, participant: VideoParticipant): void;
  dump(sessionId: string): Promise<VideoRoomDump>;
}

// The SIP digests of agents' phones (browser softphone and desk phone): md5(username:realm:password),
// never the password itself, which exists only in the one answer that hands it out.
export interface SipCredentialStore {
  digest(endpoint: string): Promise<string | undefined>;
  setDigest(endpoint: string, md5Cred: string): Promise<void>;
  remove(endpoint: string): Promise<void>;
}
