import { randomUUID } from 'node:crypto';
import { isLive, type CallLeg } from './call-leg.ts';
import { conflict, forbidden, notFound, unavailable } from './errors.ts';
import type { DomainEvents } from './events.ts';
import type { MediaCapabilities } from './guards.ts';
import { liveLeg, type InteractionRecord, type Party } from './interaction.ts';
import type { Interactions } from './interactions.ts';
import type { CallRecorder, Clock, Directory, RecordingRef, RecordingStore } from './ports.ts';
import type { EntryDraft } from './timeline.ts';
import { applyRecordingEvent, isRecordingLive, mayHearRecording, newRecording, RecordingFileGone, recordingStored, type CallRecording, type RecordingFile } from './recording.ts';

export interface CallRecordingsDeps {
  interactions: Interactions;
  directory: Pick<Directory, 'getService' | 'getAgent'>;
  // null without telephony: nothing is recorded.
  recorder: CallRecorder | null;
  files: RecordingStore;
  clock: Clock;
  events: DomainEvents;
  // The guard table's view of the media (MultimediaDesk's capabilities).
  media: () => MediaCapabilities;
  retentionMs: number;
  // Work done in the background (a file collected after the call) that failed beyond the timeline.
  onError: (err: unknown, what: string) => void;
}

const why = (err: unknown) => (err instanceof Error ? err.message : String(err));
const refOf = (rec: InteractionRecord, recordingId: string): RecordingRef => ({ interactionId: rec.id, recordingId });
const NOT_DONE = {
  pause: 'The recording could not be paused: the call is still being recorded',
  resume: 'The recording could not be resumed: it is still paused',
} as const;

// Call recordings: every call of a service that records calls, from the customer's answer to the
// release. Each change is a 'recording' entry on the interaction's timeline; a recording that fails
// says so there and never touches the call.
export class CallRecordings {
  readonly #d: CallRecordingsDeps;
  readonly #finishing = new Map<string, Promise<void>>();

  constructor(deps: CallRecordingsDeps) {
    this.#d = deps;
  }

  // Heard after every change of a call leg is written (MultimediaDesk). Never rejects.
  async callChanged(rec: InteractionRecord, leg: CallLeg): Promise<void> {
    try {
      if (leg.state === 'connected' && leg.recording === undefined) await this.start(rec, leg);
      else if (!isLive(leg) && leg.recording && isRecordingLive(leg.recording)) this.finishLater(rec, leg);
    } catch (err) {
      this.#d.events.emit({ type: 'store_failed', error: err });
    }
  }

  // Pause: the file goes on with silence. Resume: the voices again.
  pause(agentId: string, interactionId: string): Promise<CallRecording> {
    return this.toggle(agentId, interactionId, 'pause');
  }

  resume(agentId: string, interactionId: string): Promise<CallRecording> {
    return this.toggle(agentId, interactionId, 'resume');
  }

  // The telephony stopped a recording on its own while its call is up (it could not write the file):
  // the call goes on unrecorded, and what Asterisk may hold of it is removed.
  async recordingLost(recordingId: string, cause: string): Promise<void> {
    for (const rec of this.#d.interactions.all()) {
      const leg = rec.callLegs.find((l) => l.recording?.id === recordingId);
      if (!leg?.recording || !isLive(leg) || !isRecordingLive(leg.recording)) continue;
      applyRecordingEvent(leg.recording, 'fail', this.#d.clock.now(), `Asterisk stopped it (${cause})`);
      await this.note(rec, leg, 'system');
      await this.#d.recorder?.discard(refOf(rec, recordingId));
    }
  }

  // After a restart or a failover (the leader's voice reconnected): recordings of calls that ended
  // meanwhile are collected now (Asterisk kept them); those of calls still up go on as they were.
  recover(): void {
    for (const rec of this.#d.interactions.all()) {
      for (const leg of rec.callLegs) if (!isLive(leg) && leg.recording && isRecordingLive(leg.recording)) this.finishLater(rec, leg);
    }
  }

  // After every (re)connect of the telephony: what it still holds of ours. The recording of a call that
  // has ended is collected (one already said "not stored yet" gets a later entry: its player, or why it
  // failed); one of a call still up is left alone; the rest (stored already, failed, or of no recording
  // known) is deleted from the telephony, so nothing of ours stays there for ever.
  // A call connected by a controller that died before deciding on its recording (its leg stores none,
  // not even "none") is decided now, as at its answer.
  async reclaim(): Promise<void> {
    const recorder = this.#d.recorder;
    for (const rec of this.#d.interactions.all()) {
      for (const leg of rec.callLegs) if (leg.state === 'connected' && leg.recording === undefined) await this.callChanged(rec, leg);
    }
    for (const ref of (await recorder?.held()) ?? []) {
      const rec = await this.#d.interactions.find(ref.interactionId);
      const leg = rec?.callLegs.find((l) => l.recording?.id === ref.recordingId);
      const recording = leg?.recording;
      if (recording && (isRecordingLive(recording) || recording.state === 'not_stored')) {
        if (!isLive(leg!)) this.finishLater(rec!, leg!);
      } else await recorder!.discard(ref);
    }
  }

  // What may be played to this agent, else why not.
  async playable(listenerId: string, recordingId: string): Promise<RecordingFile> {
    const file = await this.#d.files.recordingInfo(recordingId);
    const rec = file && (await this.#d.interactions.find(file.interactionId));
    if (!file || !rec) throw notFound('recording_not_found', 'No such recording (recordings are deleted after the retention period).');
    const listener = await this.#d.directory.getAgent(listenerId);
    if (!listener || !mayHearRecording(rec, listener, await this.#d.interactions.workedBy(rec.id))) throw forbidden('not_your_recording', 'Only the agents of this interaction, supervisors and admins may hear its recordings.');
    return file;
  }

  read(recordingId: string, range?: { start: number; end: number }): Promise<Buffer> {
    return this.#d.files.readRecording(recordingId, range);
  }

  // Deletes every recording begun longer ago than the retention period; returns how many.
  async sweep(): Promise<number> {
    return (await this.#d.files.deleteRecordingsBefore(this.#d.clock.now() - this.#d.retentionMs)).length;
  }

  // Resolves once every recording being collected is stored or failed (tests, a planned stop).
  async settled(): Promise<void> {
    while (this.#finishing.size > 0) await Promise.all(this.#finishing.values());
  }

  // Its name is stored before the telephony is asked to record: a controller that dies in between
  // leaves a file that reclaim() knows as this call's (and stores after the call), not one of nobody's
  // that it deletes while the call goes on. A store that fails then does not stop the recording (a
  // later write of the call stores its name); its failure is reported.
  private async start(rec: InteractionRecord, leg: CallLeg): Promise<void> {
    leg.recording = null; // decided now: a later change of this leg starts nothing
    const service = await this.#d.directory.getService(rec.serviceId);
    const recorder = this.#d.recorder;
    if (!service?.recordCalls || !recorder) return;
    const recording = newRecording(randomUUID(), leg.id, this.#d.clock.now());
    leg.recording = recording;
    const unnamed = await this.note(rec, leg, 'system').then(
      () => null,
      (err: unknown) => ({ err }),
    );
    await recorder.start(leg.id, refOf(rec, recording.id)).catch(async (err: unknown) => {
      // Lost while starting (recordingLost): that is on the timeline already.
      if (!isRecordingLive(recording)) return;
      applyRecordingEvent(recording, 'fail', this.#d.clock.now(), `could not start: ${why(err)}`);
      await this.note(rec, leg, 'system');
    });
    if (unnamed) throw unnamed.err;
  }

  private async toggle(agentId: string, interactionId: string, event: 'pause' | 'resume'): Promise<CallRecording> {
    const rec = this.#d.interactions.agentMay(event === 'pause' ? 'pause_recording' : 'resume_recording', agentId, interactionId, this.#d.media());
    const leg = liveLeg(rec)!;
    const recording = leg.recording!;
    const failed = await this.#d.recorder![event](refOf(rec, recording.id)).then(
      () => null,
      (err: unknown) => ({ err }),
    );
    // The call ended meanwhile: its recording is the collector's now (finish), whole, as it was.
    if (!isLive(leg)) throw conflict('no_call', 'The call has ended: its recording is being stored.');
    // The agent is never told "paused" while Asterisk still records (a card number about to be read
    // out): nothing changes, and they can try again. A recording Asterisk lost is reported on its own
    // (recordingLost), and the state table then refuses.
    if (failed && isRecordingLive(recording)) throw unavailable('recording_unavailable', `${NOT_DONE[event]} (${why(failed.err)}). Try again.`);
    applyRecordingEvent(recording, event, this.#d.clock.now());
    await this.note(rec, leg, 'agent');
    return recording;
  }

  private finishLater(rec: InteractionRecord, leg: CallLeg): void {
    const recording = leg.recording!;
    if (this.#finishing.has(recording.id)) return;
    const done = this.finish(rec, leg, recording)
      .catch((err: unknown) => this.#d.onError(err, `recording ${recording.id} of interaction ${rec.id}`))
      .finally(() => this.#finishing.delete(recording.id));
    this.#finishing.set(recording.id, done);
  }

  // The file is taken from the telephony, stored, then removed from the telephony: a failure in between
  // leaves it there ("not stored yet") for the next try (reclaim, at the next connect) instead of losing
  // it. A still "not stored" is said once.
  private async finish(rec: InteractionRecord, leg: CallLeg, recording: CallRecording): Promise<void> {
    const recorder = this.#d.recorder;
    const endedAt = leg.endedAt ?? this.#d.clock.now();
    const before = recording.state;
    const asBefore = { ...recording };
    const ref = refOf(rec, recording.id);
    try {
      if (!recorder) throw new Error('telephony is off');
      const { bytes, contentType } = await recorder.collect(ref);
      await this.#d.files.saveRecording({ id: recording.id, interactionId: rec.id, contentType, size: bytes.byteLength, recordedAt: recording.startedAt }, bytes);
      recordingStored(recording, { size: bytes.byteLength, contentType }, endedAt);
    } catch (err) {
      if (err instanceof RecordingFileGone) applyRecordingEvent(recording, 'fail', endedAt, `not stored: ${why(err)}`);
      else if (before !== 'not_stored') applyRecordingEvent(recording, 'leave', endedAt, why(err));
    }
    if (recording.state === before) return;
    // The chat may have ended meanwhile (End session): written on the record as it is now, which
    // takes the outcome, after any entry of its closing.
    let overtaken = false;
    // Its outcome not written (the store failed): the recording is as it was, for the next try (reclaim)
    // to store and say, rather than one that says nothing while the telephony deletes its file.
    const written = this.#d.interactions.closing.report(rec.id, (now) => {
      const nowLeg = now.callLegs.find((l) => l.id === leg.id);
      if (!nowLeg) return null;
      // Another collect of it (one that read the ended chat earlier) finished first: its outcome stands.
      overtaken = nowLeg.recording !== recording && nowLeg.recording?.state !== before;
      if (overtaken) return null;
      nowLeg.recording = recording;
      return this.entry(nowLeg, 'system');
    });
    await written.catch((err: unknown) => {
      Object.assign(recording, asBefore);
      throw err;
    });
    if (!overtaken && !isRecordingLive(recording) && recording.state !== 'not_stored') await recorder!.discard(ref);
  }

  private note(rec: InteractionRecord, leg: CallLeg, author: Party) {
    return this.#d.interactions.append(rec, this.entry(leg, author));
  }

  private entry(leg: CallLeg, author: Party): EntryDraft {
    return { kind: 'recording', author, agentId: leg.agentId, data: { ...leg.recording } };
  }
}
