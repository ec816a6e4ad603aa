import type { CallRecording } from '../../domain/recording.ts';
import type { TimelineEntry } from '../../domain/timeline.ts';

// 1:05, 12:00, 1:02:03
export function clockOf(ms: number): string {
  const s = Math.round(ms / 1000);
  const mmss = `${Math.floor((s % 3600) / 60)}:${String(s % 60).padStart(2, '0')}`;
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mmss.padStart(5, '0')}` : mmss;
}

// A 'recording' timeline entry: a player once the file is stored, else a line saying what happened.
export function recordingEntryView(e: TimelineEntry) {
  const r = (e.data ?? {}) as Partial<CallRecording>;
  const duration = r.durationMs != null ? clockOf(r.durationMs) : null;
  return {
    url: r.state === 'stopped' && r.id ? `/recordings/${r.id}` : null,
    duration,
    // The player's accessible name: begins with "Recording" (DESIGN.md).
    label: `Recording of the call${duration ? `, ${duration}` : ''}`,
    summary: recordingSummary(e, r),
  };
}

function recordingSummary(e: TimelineEntry, r: Partial<CallRecording>): string {
  switch (r.state) {
    case 'recording':
      return e.author === 'agent' ? 'Recording resumed' : 'Recording started';
    case 'paused':
      return 'Recording paused (silence in the file)';
    case 'not_stored':
      return `Recording not stored yet (${r.cause ?? 'unknown cause'}): it is kept in Asterisk and stored once Asterisk is reachable again.`;
    case 'failed':
      return `Recording failed: ${r.cause ?? 'unknown cause'}. The call was not affected.`;
    default:
      return 'Recording';
  }
}

// The call area's recording line and its control, for the live call.
export function liveRecordingView(recording: CallRecording | null | undefined, canPause: boolean, canResume: boolean) {
  if (!recording) return null;
  const label = recording.state === 'failed' ? `Not recorded: ${recording.cause ?? 'failed'}` : recording.state === 'paused' ? 'Recording paused' : 'Recording';
  return { state: recording.state, label, canPause, canResume };
}
