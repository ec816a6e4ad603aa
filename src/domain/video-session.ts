import { nextState, type StateTable } from './state-table.ts';

// Video inside a chat interaction. Once it runs, only the customer may close it alone; the agent can
// only end the whole session (video, call and chat together).
export type VideoState = 'requested' | 'active' | 'declined' | 'closed';
// system_end: the system ended the session (the agent was disabled by an admin), not a person in it.
export type VideoEvent = 'allow' | 'decline' | 'customer_close' | 'end_session' | 'system_end' | 'media_lost';

export const VIDEO_STATES: StateTable<VideoState, VideoEvent> = {
  requested: { allow: 'active', decline: 'declined', customer_close: 'closed', end_session: 'closed', system_end: 'closed' },
  active: { customer_close: 'closed', end_session: 'closed', system_end: 'closed', media_lost: 'closed' },
  declined: {},
  closed: {},
};

// Who ends the video with each event (allow starts it: it never ends one).
const ENDED_BY: Record<VideoEvent, VideoSession['endedBy']> = {
  allow: null,
  decline: 'agent',
  customer_close: 'customer',
  end_session: 'agent',
  system_end: 'system',
  media_lost: 'system',
};

export interface VideoSession {
  id: string;
  interactionId: string;
  state: VideoState;
  requestedAt: number;
  startedAt: number | null;
  endedAt: number | null;
  endedBy: 'customer' | 'agent' | 'system' | null;
}

export function isVideoOpen(video: VideoSession | null | undefined): boolean {
  return video !== null && video !== undefined && (video.state === 'requested' || video.state === 'active');
}

export function applyVideoEvent(video: VideoSession, event: VideoEvent, now: number): void {
  video.state = nextState(VIDEO_STATES, 'video', video.state, event);
  if (video.state === 'active') video.startedAt = now;
  if (!isVideoOpen(video)) {
    video.endedAt = now;
    video.endedBy = ENDED_BY[event];
  }
}
