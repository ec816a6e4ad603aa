// Who hears whom, measured: each party's Chromium plays a WAV tone as its microphone
// (--use-file-for-fake-audio-capture, looped), and what a page receives is analysed with a Goertzel
// filter at each party's frequency.
import { writeFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { monoWav16 } from '../../src/ari/asterisk/wav.ts';

export const TONES = { customer: 440, agent: 660, supervisor: 880 } as const;

// A mono 16-bit PCM WAV of a sine at `hz` (amplitude 0.5 of full scale).
export function toneWav(hz: number, seconds = 10, rate = 48_000): Buffer {
  const n = seconds * rate;
  const data = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) data.writeInt16LE(Math.round(0.5 * 32767 * Math.sin((2 * Math.PI * hz * i) / rate)), i * 2);
  return monoWav16(data, rate);
}

export async function writeToneWav(path: string, hz: number): Promise<string> {
  await writeFile(path, toneWav(hz));
  return path;
}

// Chromium's arguments for a browser whose microphone plays `wavPath` (the page may start WebAudio).
export const toneMicrophone = (wavPath: string): string[] => [`--use-file-for-fake-audio-capture=${wavPath}`, '--autoplay-policy=no-user-gesture-required'];

// The amplitude of the `hz` component of `samples` (a sine of amplitude a gives about a).
export function goertzel(samples: ArrayLike<number>, rate: number, hz: number): number {
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
export async function heardTones(page: Page, floor = 0.01): Promise<{ heard: Set<number>; levels: Record<number, number> }> {
  const { samples, rate } = await receivedSamples(page);
  const levels: Record<number, number> = {};
  const heard = new Set<number>();
  for (const hz of Object.values(TONES)) {
    levels[hz] = samples.length ? goertzel(samples, rate, hz) : 0;
    if (levels[hz]! > floor) heard.add(hz);
  }
  return { heard, levels };
}
