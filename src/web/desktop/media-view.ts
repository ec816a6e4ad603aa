import type { CallLegState } from '../../domain/call-leg.ts';
import { holdToggle, muteToggle, type AgentAction, type Verdict } from '../../domain/guards.ts';
import { liveLeg, type InteractionRecord } from '../../domain/interaction.ts';
import { liveRecordingView } from './recording-view.ts';

const CALL_LABEL: Record<CallLegState, string> = {
  dialing_agent: 'Dialing (your phone)',
  dialing_customer: 'Dialing',
  ringing: 'Ringing',
  connected: 'Connected',
  on_hold: 'On hold',
  released: 'Released',
  failed: 'Failed',
};

// What the agent may do with the call and the video right now, and why not when not, read from the
// domain's guard table (`may`): the desktop shows disabled controls with their reason instead of hiding them.
// `telephonyAway`: calls cannot be made now; a call shown live runs no timer (its state is not known).
export function mediaView(rec: InteractionRecord, may: Record<AgentAction, Verdict>, telephonyAway = false, now = Date.now()) {
  const live = liveLeg(rec);
  const last = live ?? rec.callLegs.at(-1);
  return {
    canCall: may.call === null,
    callBlockedBy: may.call?.message ?? null,
    // This refusal disables the number outright, its reason shown next to it.
    callUnavailable: may.call?.code === 'telephony_unavailable',
    telephonyAway,
    call: last
      ? {
          live: Boolean(live),
          state: last.state,
          label: CALL_LABEL[last.state],
          cause: last.cause,
          answeredAt: last.answeredAt,
          // By the server's clock: the page counts on from it, whatever the agent's PC clock says.
          elapsedMs: last.answeredAt === null ? null : Math.max(0, now - last.answeredAt),
          held: last.state === 'on_hold',
          muted: last.mute === 'muted',
          canHold: may[holdToggle(rec)] === null,
          canMute: may[muteToggle(rec)] === null,
          count: rec.callLegs.length,
          recording: live ? liveRecordingView(live.recording, may.pause_recording === null, may.resume_recording === null) : null,
        }
      : null,
    releaseBlockedBy: may.release_call?.message ?? null,
    disconnectBlockedBy: may.disconnect_chat?.message ?? null,
    // Offered only where it does more than Disconnect chat: while a call or video runs.
    canEndSession: may.end_session === null && may.disconnect_chat !== null,
    video: rec.video ? { id: rec.video.id, state: rec.video.state, endedBy: rec.video.endedBy } : null,
    // A video request's answers: off with the reason where the viewer may not give them.
    allowVideoBlockedBy: may.allow_video?.message ?? null,
    declineVideoBlockedBy: may.decline_video?.message ?? null,
  };
}

export type MediaView = ReturnType<typeof mediaView>;
