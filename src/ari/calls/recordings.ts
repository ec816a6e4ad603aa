import { setTimeout as sleep } from 'node:timers/promises';
import type { CallRecorder, RecordingRef } from '../../domain/ports.ts';
import { RecordingFileGone } from '../../domain/recording.ts';
import { storedRecordingFile, type Ari, type AriEvent } from '../client.ts';
import { AriHttpError, ignoreNotFound, isNotFound } from '../errors.ts';
import { bridgeIdOf, legIdOfBridge, recordingNameOf, recordingOfName } from './channel-names.ts';

export interface RecorderOptions {
  ari: () => Ari; // the current connection (it changes after a reconnect)
  format: 'wav' | 'wav16';
  // How often, and how long, to ask whether Asterisk has closed a stopped recording's file.
  pollMs?: number;
  finishTimeoutMs?: number;
  // How long a collect waits for ARI to be up (a reconnect, an Asterisk restarting).
  connectTimeoutMs?: number;
}

// Call recordings as ARI bridge recordings: the leg's mixing bridge is recorded, so the file holds
// both voices mixed, in the bridge's own time. Named by its interaction and its id (recordingNameOf):
// that name is all a new leader needs to find it again, and to tell it from files not ours.
// Recordings started before names carried them (a rolling upgrade mid-call) are named by their id
// alone. Paused is ARI's "mute" (Asterisk writes silence: the file keeps the call's clock), never
// ARI's "pause" (which cuts the time out of the file).
export class AriRecorder implements CallRecorder {
  // The Stasis app's event types handle() takes (voice.ts asks Asterisk for these only).
  static readonly EVENTS = ['RecordingFinished', 'RecordingFailed'] as const;
  readonly #o: RecorderOptions;

  constructor(opts: RecorderOptions) {
    this.#o = opts;
  }

  async start(legId: string, ref: RecordingRef): Promise<void> {
    await this.#o
      .ari()
      .bridges.record({ bridgeId: bridgeIdOf(legId), name: recordingNameOf(ref), format: this.#o.format, ifExists: 'fail', beep: false, terminateOn: 'none', maxDurationSeconds: 0 })
      .catch((err: unknown) => {
        throw err instanceof AriHttpError ? new Error(`Asterisk answered ${err.status} (${err.message})`, { cause: err }) : err;
      });
  }

  pause(ref: RecordingRef): Promise<void> {
    const ari = this.#o.ari();
    return byName(ref, (recordingName) => ari.recordings.mute({ recordingName }));
  }

  resume(ref: RecordingRef): Promise<void> {
    const ari = this.#o.ari();
    return byName(ref, (recordingName) => ari.recordings.unmute({ recordingName }));
  }

  // Usually the call's bridge is gone already, which ended the recording; a stop is asked anyway. A
  // call ended by a reconcile (ARI not up yet) or by Asterisk dying is collected once ARI is back.
  async collect(ref: RecordingRef): Promise<{ bytes: Buffer; contentType: string }> {
    const ari = await this.connected();
    const name = await this.nameIn(ari, ref);
    await ari.recordings.stop({ recordingName: name }).catch(ignoreNotFound);
    await this.closed(ari, name);
    const { bytes } = await storedRecordingFile(ari, name).catch((err: unknown) => {
      throw isNotFound(err) ? new RecordingFileGone('its file is gone from Asterisk', { cause: err }) : err;
    });
    // A header and nothing after it: Asterisk died before it wrote any sound.
    if (bytes.length <= WAV_HEADER_BYTES) throw new RecordingFileGone('its file in Asterisk holds no sound');
    return { bytes: closedWav(bytes), contentType: 'audio/wav' };
  }

  // Every file of ours in Asterisk's recording spool; files named otherwise are not ours.
  async held(): Promise<RecordingRef[]> {
    const stored = await (await this.connected()).recordings.listStored();
    return stored.flatMap((r) => recordingOfName(r.name) ?? []);
  }

  // Recording events of the Stasis app. A recording that ends while its call is up ended on its own:
  // Asterisk could not write it (it then says "done" after 0 s, or "failed"); `lost` hears it. One that
  // ends after its call (whose leg is no longer tracked) is the normal end, collected by collect().
  handle(event: AriEvent, callUp: (legId: string) => boolean, lost: (recordingId: string, cause: string) => void): boolean {
    const recording = event.recording;
    if (!event.type.startsWith('Recording') || !recording) return false;
    if (event.type === 'RecordingStarted') return true;
    const legId = legIdOfBridge(recording.target_uri?.replace(/^bridge:/, '') ?? '');
    if (legId && callUp(legId)) lost(recordingOfName(recording.name)?.recordingId ?? recording.name, recording.cause ?? `it ended after ${recording.duration ?? 0} s, with the call still up`);
    return true;
  }

  async discard(ref: RecordingRef): Promise<void> {
    const ari = await this.connected();
    await byName(ref, (recordingName) => ari.recordings.deleteStored({ recordingName })).catch(ignoreNotFound);
  }

  // Its name in Asterisk: the one this release gives, unless only the one before (its id alone) is there.
  private async nameIn(ari: Ari, ref: RecordingRef): Promise<string> {
    const name = recordingNameOf(ref);
    const found = (n: string) => ari.recordings.getStored({ recordingName: n }).then(() => true, (err: unknown) => (isNotFound(err) ? false : Promise.reject(err)));
    return (await found(name)) || !(await found(ref.recordingId)) ? name : ref.recordingId;
  }

  private async connected(): Promise<Ari> {
    const deadline = Date.now() + (this.#o.connectTimeoutMs ?? 30_000);
    for (;;) {
      try {
        return this.#o.ari();
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await sleep(this.#o.pollMs ?? 100);
      }
    }
  }

  // The stored file exists from the first byte on: it is whole only once the live recording is done.
  private async closed(ari: Ari, recordingId: string): Promise<void> {
    const deadline = Date.now() + (this.#o.finishTimeoutMs ?? 30_000);
    for (;;) {
      const live = await ari.recordings.getLive({ recordingName: recordingId }).catch((err: unknown) => {
        if (isNotFound(err)) return null;
        throw err;
      });
      if (!live || live.state === 'done') return;
      if (live.state === 'failed' || live.state === 'canceled') throw new RecordingFileGone(`Asterisk could not write the recording (${live.state}${live.cause ? `: ${live.cause}` : ''})`);
      if (Date.now() > deadline) throw new Error(`Asterisk did not close the recording within ${this.#o.finishTimeoutMs ?? 30_000} ms (still ${live.state})`);
      await sleep(this.#o.pollMs ?? 100);
    }
  }
}

const WAV_HEADER_BYTES = 44;

// Done by this release's name, else (not found) by the one before.
function byName(ref: RecordingRef, op: (recordingName: string) => Promise<void>): Promise<void> {
  return op(recordingNameOf(ref)).catch((err: unknown) => (isNotFound(err) ? op(ref.recordingId) : Promise.reject(err)));
}

// Asterisk writes a WAV's sizes when it closes the file: one it could not close (it was killed) says
// it holds nothing. Its sizes are set from its length, so what was recorded up to then plays.
export function closedWav(wav: Buffer): Buffer {
  const canonical = wav.length >= 44 && wav.toString('ascii', 0, 4) === 'RIFF' && wav.toString('ascii', 8, 12) === 'WAVE' && wav.toString('ascii', 36, 40) === 'data';
  if (!canonical || wav.readUInt32LE(40) !== 0 || wav.length === 44) return wav;
  const fixed = Buffer.from(wav);
  fixed.writeUInt32LE(wav.length - 8, 4);
  fixed.writeUInt32LE(wav.length - 44, 40);
  return fixed;
}
