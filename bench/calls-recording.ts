// bench:calls --record: (b) with every call recorded, against the same ramp without recording, in one
// run on one rig (ABBA order against drift). The service's "Record calls" is switched on /admin/services
// as an admin would; after the recorded ramps every recording is awaited in the store, and the disk
// written per recorded call-minute is printed (Asterisk's spool file, then the store's copy).
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { agentPost } from '../test/helpers/desktop-client.ts';
import { login } from '../test/helpers/fixtures.ts';
import { ramp, until, type CapacityResult } from './calls-capacity.ts';
import type { Rig } from './calls-rig.ts';

async function recordCalls(rig: Rig, on: boolean): Promise<void> {
  const admin = await login(rig.server, 'agent1', 'demo');
  const res = await agentPost(admin, '/admin/services/roadside', { name: 'Roadside Assistance', ...(on ? { recordCalls: 'on' } : {}) });
  if (res.status !== 200) throw new Error(`Record calls ${on ? 'on' : 'off'}: HTTP ${res.status}`);
  await res.text();
}

// What the server's store holds of its recordings (read-only, beside the server's own connection).
function storedRecordings(rig: Rig): { files: number; bytes: number; minutes: number; failed: number; causes: string[] } {
  const db = new DatabaseSync(join(rig.server.dataDir, 'contact-center.sqlite'), { readOnly: true });
  try {
    const files = db.prepare('SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM recordings').get() as { n: number; bytes: number };
    const ended = db.prepare("SELECT data FROM timeline WHERE kind = 'recording'").all().map((r) => JSON.parse(String(r.data)) as { state: string; durationMs: number | null; cause: string | null });
    const stopped = ended.filter((r) => r.state === 'stopped');
    return { files: files.n, bytes: files.bytes, minutes: stopped.reduce((a, r) => a + (r.durationMs ?? 0), 0) / 60_000, failed: ended.filter((r) => r.state === 'failed').length, causes: [...new Set(ended.map((r) => r.cause).filter(Boolean))].slice(0, 3) as string[] };
  } finally {
    db.close();
  }
}

export async function recordingCapacity(rig: Rig, opts: { ceilingCores: number; step: number; max: number; rounds: number; counts: (r: CapacityResult) => boolean; verdict: (ok: boolean) => string }): Promise<void> {
  console.log(`\n(b) --record: concurrent calls through the controller at a ceiling of ${opts.ceilingCores} cores, every call recorded (bridge recording, 8 kHz WAV) vs none, steps of ${opts.step} up to ${opts.max}`);
  const results: CapacityResult[] = [];
  let recordedCalls = 0;
  for (let round = 0; round < opts.rounds; round++) {
    const order = round % 2 === 0 ? (['controller', 'recorded'] as const) : (['recorded', 'controller'] as const);
    for (const mode of order) {
      await recordCalls(rig, mode === 'recorded');
      const res = await ramp(rig, mode, { ceilingCores: opts.ceilingCores, step: opts.step, max: opts.max, deadlineMs: 600_000 });
      if (mode === 'recorded') recordedCalls += res.steps.at(-1)?.calls ?? 0;
      results.push(res);
    }
  }
  await recordCalls(rig, false);
  for (const res of results) {
    const at = `${res.atCeiling.toFixed(1)}${res.ceilingReached ? '' : ' (extrapolated: ceiling not reached)'}`;
    console.log(`  ${res.mode.padEnd(10)}: ${at} calls at the ceiling${opts.counts(res) ? '' : ' (measured too little to count)'}; ${res.stopped}; RTP both ways on ${res.media.flowing}/${res.media.checked} sampled phone channels; bridges ${JSON.stringify(res.bridges)}`);
  }
  const mean = (mode: string) => {
    const of = results.filter((r) => r.mode === mode && opts.counts(r));
    return of.length ? of.reduce((a, r) => a + r.atCeiling, 0) / of.length : NaN;
  };
  const ratio = mean('recorded') / mean('controller');
  console.log(`  mean over ${opts.rounds} round(s): not recorded ${mean('controller').toFixed(1)}, recorded ${mean('recorded').toFixed(1)} calls; ratio recorded/not recorded ${ratio.toFixed(2)}x (target >= 0.8x: ${opts.verdict(ratio >= 0.8)})`);
  // Asterisk's + the server's CPU per call over every step measured, a saturated one included (it
  // shows less than needed, for both alike): the only comparison left when a busy machine cut the ramps
  // before half the ceiling. Calls at a ceiling go as the inverse of it.
  const perCall = (mode: string) => {
    const steps = results.filter((r) => r.mode === mode).flatMap((r) => [...r.steps, ...(r.saturatedStep ? [r.saturatedStep] : [])]);
    return steps.reduce((a, st) => a + st.cores, 0) / steps.reduce((a, st) => a + st.calls, 0);
  };
  const costRatio = perCall('controller') / perCall('recorded');
  console.log(
    `  CPU per call over every measured step: not recorded ${(1000 * perCall('controller')).toFixed(1)} mcores, recorded ${(1000 * perCall('recorded')).toFixed(1)} mcores; ` +
      `calls at a ceiling in proportion, recorded/not recorded ${costRatio.toFixed(2)}x (target >= 0.8x: ${opts.verdict(costRatio >= 0.8)})`,
  );
  await until('every recording stored', () => {
    const s = storedRecordings(rig);
    return s.files + s.failed >= recordedCalls;
  }, 120_000);
  const s = storedRecordings(rig);
  const perMinute = s.minutes > 0 ? s.bytes / s.minutes / 1e6 : NaN;
  console.log(
    `  disk per recorded call-minute: ${perMinute.toFixed(2)} MB in the store (${s.files} files, ${(s.bytes / 1e6).toFixed(1)} MB for ${s.minutes.toFixed(1)} call-minutes; ${s.failed} failed${s.causes.length ? `: ${s.causes.join('; ')}` : ''}), ` +
      `${(2 * perMinute).toFixed(2)} MB written in all (Asterisk's spool file first, deleted once stored)`,
  );
}
