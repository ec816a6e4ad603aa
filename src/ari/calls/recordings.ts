import { setTimeout as sleep } from 'node:timers/promises';
import type { CallRecorder } from '../../domain/ports.ts';
import { storedRecordingFile, type Ari, type AriEvent } from '../client.ts';
import { AriHttpError, ignoreNotFound, isNotFound } from '../errors.ts';
import { bridgeIdOf, legIdOfBridge } from './channel-names.ts';

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
// both voices mixed, in the bridge's own time. Named by the recording's id: that name is all a new
// leader needs to find it again. Paused is ARI's "mute" (Asterisk writes silence: the file keeps the
// call's clock), never ARI's "pause" (which cuts the time out of the file).
export class AriRecorder implements CallRecorder {
  // The Stasis app's event types handle() takes (voice.ts asks Asterisk for these only).
  static readonly EVENTS = ['RecordingFinished', 'RecordingFailed'] as const;
  readonly #o: RecorderOptions;

  constructor(opts: RecorderOptions) {
    this.#o = opts;
  }

  async start(legId: string, recordingId: string): Promise<void> {
    await this.#o
      .ari()
      .bridges.record({ bridgeId: bridgeIdOf(legId), name: recordingId, format: this.#o.format, ifExists: 'fail', beep: false, terminateOn: 'none', maxDurationSeconds: 0 })
      .catch((err: unknown) => {
        throw err instanceof AriHttpError ? new Error(`Asterisk answered ${err.status} (${messageOf(err)})`, { cause: err }) : err;
      });
  }

  pause(recordingId: string): Promise<void> {
    return this.#o.ari().recordings.mute({ recordingName: recordingId });
  }

  resume(recordingId: string): Promise<void> {
    return this.#o.ari().recordings.unmute({ recordingName: recordingId });
  }

  // Usually the call's bridge is gone already, which ended the recording; a stop is asked anyway. A
  // call ended by a reconcile (ARI not up yet) or by Asterisk dying is collected once ARI is back.
  async collect(recordingId: string): Promise<{ bytes: Buffer; contentType: string }> {
    const ari = await this.connected();
    await ari.recordings.stop({ recordingName: recordingId }).catch(ignoreNotFound);
    await this.closed(ari, recordingId);
    const { bytes } = await storedRecordingFile(ari, recordingId);
    return { bytes: closedWav(bytes), contentType: 'audio/wav' };
  }

  // Recording events of the Stasis app. A recording that ends while its call is up ended on its own:
  // Asterisk could not write it (it then says "done" after 0 s, or "failed"); `lost` hears it. One that
  // ends after its call (whose leg is no longer tracked) is the normal end, collected by collect().
  handle(event: AriEvent, callUp: (legId: string) => boolean, lost: (recordingId: string, cause: string) => void): boolean {
    const recording = event.recording;
    if (!event.type.startsWith('Recording') || !recording) return false;
    if (event.type === 'RecordingStarted') return true;
    const legId = legIdOfBridge(recording.target_uri?.replace(/^bridge:/, '') ?? '');
    if (legId && callUp(legId)) lost(recording.name, recording.cause ?? `it ended after ${recording.duration ?? 0} s, with the call still up`);
    return true;
  }

  discard(recordingId: string): Promise<void> {
    return this.#o.ari().recordings.deleteStored({ recordingName: recordingId }).catch(ignoreNotFound);
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
      if (live.state === 'failed' || live.state === 'canceled') throw new Error(`Asterisk could not write the recording (${live.state}${live.cause ? `: ${live.cause}` : ''})`);
      if (Date.now() > deadline) throw new Error(`Asterisk did not close the recording within ${this.#o.finishTimeoutMs ?? 30_000} ms (still ${live.state})`);
      await sleep(this.#o.pollMs ?? 100);
    }
  }
}

// ARI's refusals carry {"message": ...}: the words, without the JSON around them.
function messageOf(err: AriHttpError): string {
  try {
    return (JSON.parse(err.message) as { message?: string }).message ?? err.message;
  } catch {
    return err.message;
  }
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
