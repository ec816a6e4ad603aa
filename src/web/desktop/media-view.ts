import { isLive, type CallLeg, type CallLegState } from '../../domain/call-leg.ts';
import type { InteractionRecord } from '../../domain/interaction.ts';

const CALL_LABEL: Record<CallLegState, string> = {
  dialing_agent: 'Dialing (your phone)',
  dialing_customer: 'Dialing',
  ringing: 'Ringing',
  connected: 'Connected',
  on_hold: 'On hold',
  released: 'Released',
  failed: 'Failed',
};

// What the agent may do with the call and the chat right now, and why not when not: the desktop
// shows disabled controls with their reason instead of hiding them.
export function mediaView(rec: InteractionRecord, callingConfigured: boolean) {
  const live = rec.callLegs.find(isLive);
  const last: CallLeg | undefined = live ?? rec.callLegs.at(-1);
  const videoRunning = rec.video?.state === 'active';
  const active = rec.state === 'active';
  const disconnectBlockedBy = live
    ? 'Release the call first, then disconnect the chat.'
    : videoRunning
      ? 'Video is running: only the customer can close it. Use End session to end everything.'
      : null;
  return {
    callingConfigured,
    canCall: active && callingConfigured && !live,
    callBlockedBy: !callingConfigured ? 'Calling is not configured on this server.' : live ? 'A call is already up.' : null,
    call: last
      ? {
          live: Boolean(live),
          state: last.state,
          label: CALL_LABEL[last.state],
          cause: last.cause,
          answeredAt: last.answeredAt,
          held: last.state === 'on_hold',
          muted: last.mute === 'muted',
          connected: last.state === 'connected' || last.state === 'on_hold',
          count: rec.callLegs.length,
        }
      : null,
    releaseBlockedBy: videoRunning ? 'Video is running: only the customer can close it. Use End session to end everything.' : null,
    disconnectBlockedBy,
    video: rec.video ? { id: rec.video.id, state: rec.video.state, endedBy: rec.video.endedBy } : null,
  };
}

export type MediaView = ReturnType<typeof mediaView>;
