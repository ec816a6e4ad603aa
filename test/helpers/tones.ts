// Tones that prove who hears whom: a WAV file of one sine tone per party (Chromium plays it as its
// microphone: --use-file-for-fake-audio-capture, one browser process per party, looped), and a Goertzel
// filter that measures how much of a frequency a stretch of PCM holds (what a page received, a recording).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { Test } from 'tap';
import { monoWav16 } from '../../src/ari/asterisk/wav.ts';

export const TONES = { customer: 440, agent: 660, supervisor: 880 } as const;

export interface Pcm {
  sampleRate: number;
  // Mono, -1..1 (the channels of a stereo file averaged).
  samples: Float32Array;
}

// A 16-bit PCM mono WAV of a sine tone at `amplitude` (0..1) of full scale.
export function toneWav(frequencyHz: number, seconds = 10, sampleRate = 48_000, amplitude = 0.5): Buffer {
  const n = Math.round(seconds * sampleRate);
  const data = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) data.writeInt16LE(Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * frequencyHz * i) / sampleRate)), i * 2);
  return monoWav16(data, sampleRate);
}

// The tone written to `dir`; its path, for Chromium's --use-file-for-fake-audio-capture.
export async function toneFile(dir: string, frequencyHz: number, seconds = 10): Promise<string> {
  return writeToneWav(join(dir, `tone-${frequencyHz}.wav`), frequencyHz, seconds);
}

export async function writeToneWav(path: string, hz: number, seconds = 10): Promise<string> {
  await writeFile(path, toneWav(hz, seconds));
  return path;
}

// Chromium's arguments for a browser whose microphone plays `wavPath` (the page may start WebAudio).
export const toneMicrophone = (wavPath: string): string[] => [`--use-file-for-fake-audio-capture=${wavPath}`, '--autoplay-policy=no-user-gesture-required'];

// The amplitude of the `hz` component of `samples` (a sine of amplitude a gives about a).
export function goertzel(samples: ArrayLike<number>, rate: number, hz: number): number {
  if (samples.length === 0) return 0;
  const coeff = 2 * Math.cos((2 * Math.PI * hz) / rate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < samples.length; i++) {
    const s0 = samples[i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * Math.sqrt(Math.max(power, 0))) / samples.length;
}

// Reads a 16-bit PCM WAV (Asterisk's wav and wav16, Chromium's files), chunk by chunk.
export function parseWav(wav: Buffer): Pcm {
  if (wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a WAV file');
  let at = 12;
  let format: { channels: number; sampleRate: number; bits: number } | undefined;
  while (at + 8 <= wav.length) {
    const id = wav.toString('ascii', at, at + 4);
    const size = wav.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ') format = { channels: wav.readUInt16LE(body + 2), sampleRate: wav.readUInt32LE(body + 4), bits: wav.readUInt16LE(body + 14) };
    if (id === 'data') {
      if (!format || format.bits !== 16) throw new Error(`only 16-bit PCM WAV is read (got ${format?.bits ?? 'no'} bits)`);
      // A header whose sizes were never written (a file cut short) holds the rest of the file.
      const end = size === 0 || body + size > wav.length ? wav.length : body + size;
      const frames = Math.floor((end - body) / (2 * format.channels));
      const samples = new Float32Array(frames);
      for (let f = 0; f < frames; f++) {
        let sum = 0;
        for (let c = 0; c < format.channels; c++) sum += wav.readInt16LE(body + (f * format.channels + c) * 2);
        samples[f] = sum / format.channels / 32768;
      }
      return { sampleRate: format.sampleRate, samples };
    }
    at = body + size + (size % 2);
  }
  throw new Error('no data chunk in the WAV file');
}

// The part of `pcm` between two times, in seconds from its start.
export function slice(pcm: Pcm, fromS: number, toS: number): Pcm {
  return { sampleRate: pcm.sampleRate, samples: pcm.samples.subarray(Math.max(0, Math.round(fromS * pcm.sampleRate)), Math.round(toS * pcm.sampleRate)) };
}

// The amplitude of `frequencyHz` in the samples, 0..1 of full scale: a full-scale sine of that
// frequency gives about 1, silence 0.
export const toneAmplitude = (pcm: Pcm, frequencyHz: number): number => goertzel(pcm.samples, pcm.sampleRate, frequencyHz);

export function rms(pcm: Pcm): number {
  let sum = 0;
  for (const s of pcm.samples) sum += s * s;
  return pcm.samples.length ? Math.sqrt(sum / pcm.samples.length) : 0;
}

// Whether the tone is there: well above the floor of a frequency nobody plays (codecs and mixing add
// some noise everywhere), and at least `minAmplitude` of full scale.
export function hasTone(pcm: Pcm, frequencyHz: number, minAmplitude = 0.01): boolean {
  const level = toneAmplitude(pcm, frequencyHz);
  const floor = Math.max(toneAmplitude(pcm, 1_234), toneAmplitude(pcm, 2_718));
  return level >= minAmplitude && level > 5 * floor;
}

// Half a second of what the page's phone plays (the remote audio of its call), through WebAudio.
export async function receivedSamples(page: Page, selector = '#softphone-audio'): Promise<{ samples: number[]; rate: number }> {
  return page.evaluate(async (selector) => {
    const audio = document.querySelector(selector) as HTMLAudioElement | null;
    const stream = audio?.srcObject as MediaStream | null;
    if (!stream || stream.getAudioTracks().length === 0) return { samples: [], rate: 48_000 };
    const w = window as unknown as { toneContext?: AudioContext };
    const ctx = (w.toneContext ??= new AudioContext());
    await ctx.resume();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 32768;
    const source = ctx.createMediaStreamSource(stream);
    source.connect(analyser);
    await new Promise((r) => setTimeout(r, 900)); // the analyser's window fills
    const buf = new Float32Array(analyser.fftSize);
    analyser.getFloatTimeDomainData(buf);
    source.disconnect();
    return { samples: Array.from(buf), rate: ctx.sampleRate };
  }, selector);
}

// Which of the parties' tones a page hears now (each tone's amplitude, and whether it is above `floor`).
// `tones`: the frequencies to measure (the parties' usual ones unless a test gives its own).
export async function heardTones(page: Page, floor = 0.01, tones: readonly number[] = Object.values(TONES)): Promise<{ heard: Set<number>; levels: Record<number, number> }> {
  const { samples, rate } = await receivedSamples(page);
  const levels: Record<number, number> = {};
  const heard = new Set<number>();
  for (const hz of tones) {
    levels[hz] = samples.length ? goertzel(samples, rate, hz) : 0;
    if (levels[hz]! > floor) heard.add(hz);
  }
  return { heard, levels };
}

// What a page's phone plays, checked against the tones expected and not: readings of 0.68 s are
// taken until two in a row match (ten at most; after a change, jitter buffers still hold the audio from
// before it), and the assertions are on those two.
export async function expectHears(t: Test, page: Page, who: string, expected: { hears: number[]; not: number[] }): Promise<void> {
  const matches = (r: Awaited<ReturnType<typeof heardTones>>) => expected.hears.every((hz) => r.heard.has(hz)) && expected.not.every((hz) => !r.heard.has(hz));
  const tones = [...expected.hears, ...expected.not];
  const reading = () => heardTones(page, 0.01, tones);
  let previous = await reading();
  let last = await reading();
  for (let i = 0; i < 8 && !(matches(previous) && matches(last)); i++) [previous, last] = [last, await reading()];
  for (const hz of expected.hears) t.ok(last.heard.has(hz) && previous.heard.has(hz), `${who} hears ${hz} Hz`, { levels: [previous.levels, last.levels] });
  for (const hz of expected.not) t.notOk(last.heard.has(hz) || previous.heard.has(hz), `${who} does not hear ${hz} Hz`, { levels: [previous.levels, last.levels] });
}
