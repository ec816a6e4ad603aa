// Tones that prove who hears whom: a WAV file of one sine tone per party (Chromium plays it as its
// microphone: --use-file-for-fake-audio-capture, one browser process per party), and a Goertzel filter
// that measures how much of a frequency a stretch of PCM holds (what a page received, a recording).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Pcm {
  sampleRate: number;
  // Mono, -1..1 (the channels of a stereo file averaged).
  samples: Float32Array;
}

// A 16-bit PCM mono WAV of a sine tone at `amplitude` (0..1) of full scale.
export function toneWav(frequencyHz: number, seconds: number, sampleRate = 48_000, amplitude = 0.5): Buffer {
  const n = Math.round(seconds * sampleRate);
  const wav = Buffer.alloc(44 + n * 2);
  wav.write('RIFF', 0, 'ascii');
  wav.writeUInt32LE(36 + n * 2, 4);
  wav.write('WAVEfmt ', 8, 'ascii');
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(sampleRate, 24);
  wav.writeUInt32LE(sampleRate * 2, 28); // bytes per second
  wav.writeUInt16LE(2, 32); // bytes per frame
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36, 'ascii');
  wav.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) wav.writeInt16LE(Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * frequencyHz * i) / sampleRate)), 44 + i * 2);
  return wav;
}

// The tone written to `dir`; its path, for Chromium's --use-file-for-fake-audio-capture.
export async function toneFile(dir: string, frequencyHz: number, seconds = 10): Promise<string> {
  const path = join(dir, `tone-${frequencyHz}.wav`);
  await writeFile(path, toneWav(frequencyHz, seconds));
  return path;
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

// The amplitude of `frequencyHz` in the samples (Goertzel), 0..1 of full scale: a full-scale sine of
// that frequency gives about 1, silence 0.
export function toneAmplitude(pcm: Pcm, frequencyHz: number): number {
  const n = pcm.samples.length;
  if (n === 0) return 0;
  const coeff = 2 * Math.cos((2 * Math.PI * frequencyHz) / pcm.sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = pcm.samples[i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * Math.sqrt(Math.max(0, power))) / n;
}

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
