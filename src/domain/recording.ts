import { watchesTheFloor, type Agent } from './directory.ts';
import { mayRead, type InteractionRecord } from './interaction.ts';
import { nextState, type StateTable } from './state-table.ts';

// The recording of one call leg, made by the telephony from the customer's answer to the release.
// Paused, the file goes on with silence (the timeline and the file keep the same clock); stopped, the
// file is stored where every node reaches it; failed, the call goes on without it (the timeline says why);
// not_stored, the call has ended but its file is still in the telephony (unreachable, or the store
// refused it): it is stored, or failed, when the telephony is reached again.
export type RecordingState = 'recording' | 'paused' | 'stopped' | 'failed' | 'not_stored';
// `stop`: the call ended and the file is stored; `fail`: the telephony or the store could not, for good;
// `leave`: not now, the file is left in the telephony for the next try.
export type RecordingEvent = 'pause' | 'resume' | 'stop' | 'fail' | 'leave';

export const RECORDING_STATES: StateTable<RecordingState, RecordingEvent> = {
  recording: { pause: 'paused', stop: 'stopped', fail: 'failed', leave: 'not_stored' },
  paused: { resume: 'recording', stop: 'stopped', fail: 'failed', leave: 'not_stored' },
  not_stored: { stop: 'stopped', fail: 'failed' },
  stopped: {},
  failed: {},
};

// The telephony has no usable file of a recording (gone, or Asterisk could not write it): it failed for
// good, where any other failure to collect it leaves it for the next try.
export class RecordingFileGone extends Error {}

export interface CallRecording {
  // Also its name in the telephony and its file's id in the store.
  id: string;
  legId: string;
  state: RecordingState;
  startedAt: number;
  endedAt: number | null;
  // Of the file: from start to release, the paused parts included (as silence).
  durationMs: number | null;
  size: number | null;
  contentType: string | null;
  cause: string | null;
}

// What a stored recording file is, apart from its bytes.
export interface RecordingFile {
  id: string;
  interactionId: string;
  contentType: string;
  size: number;
  // When the recording began, not when it was stored (later, after the call; much later if Asterisk
  // was away): the retention period counts from it.
  recordedAt: number;
}

export function newRecording(id: string, legId: string, now: number): CallRecording {
  return { id, legId, state: 'recording', startedAt: now, endedAt: null, durationMs: null, size: null, contentType: null, cause: null };
}

export function isRecordingLive(recording: CallRecording): boolean {
  return recording.state === 'recording' || recording.state === 'paused';
}

export function applyRecordingEvent(recording: CallRecording, event: RecordingEvent, now: number, cause?: string): void {
  recording.state = nextState(RECORDING_STATES, 'recording', recording.state, event);
  if (isRecordingLive(recording)) return;
  recording.endedAt = now;
  recording.durationMs = now - recording.startedAt;
  recording.cause = event === 'stop' ? null : (cause ?? 'failed');
}

// A stored file, once the recording has stopped.
export function recordingStored(recording: CallRecording, file: Pick<RecordingFile, 'size' | 'contentType'>, now: number): void {
  applyRecordingEvent(recording, 'stop', now);
  recording.size = file.size;
  recording.contentType = file.contentType;
}

// Who may hear a call: the agents who handled the interaction or one of its calls, supervisors and
// admins. Never the customer (no customer token opens a recording).
// `workedBy`: every agent who worked the interaction (the interaction's rule, mayRead: while it is live
// with another agent, they do not).
export function mayHearRecording(rec: InteractionRecord, listener: Pick<Agent, 'id' | 'role' | 'disabled'>, workedBy: readonly string[] = []): boolean {
  if (listener.disabled) return false;
  if (watchesTheFloor(listener)) return true;
  // An agent who placed one of its calls is one who worked it (a transferred call keeps its placer).
  return mayRead(rec, listener.id, [...workedBy, ...rec.callLegs.map((leg) => leg.agentId)]);
}
