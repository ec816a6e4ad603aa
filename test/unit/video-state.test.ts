// The video session's state table, spelled out: what each event does from each state, and what the
// session records on the way (start, end, who ended it).
import t from 'tap';
import { DomainError } from '../../src/domain/errors.ts';
import { canApply } from '../../src/domain/state-table.ts';
import { applyVideoEvent, isVideoOpen, VIDEO_STATES, type VideoEvent, type VideoSession, type VideoState } from '../../src/domain/video-session.ts';

const STATES: VideoState[] = ['requested', 'active', 'declined', 'closed'];
const EVENTS: VideoEvent[] = ['allow', 'decline', 'customer_close', 'end_session', 'system_end', 'media_lost'];

// Anything not listed is refused. Note what is absent: no event lets the agent close a running video
// alone (only customer_close, or end_session which ends everything), and Decline has no meaning once
// the video runs.
const LEGAL: Array<[VideoState, VideoEvent, VideoState, VideoSession['endedBy']]> = [
  ['requested', 'allow', 'active', null],
  ['requested', 'decline', 'declined', 'agent'],
  ['requested', 'customer_close', 'closed', 'customer'],
  ['requested', 'end_session', 'closed', 'agent'],
  ['requested', 'system_end', 'closed', 'system'],
  ['active', 'customer_close', 'closed', 'customer'],
  ['active', 'end_session', 'closed', 'agent'],
  ['active', 'system_end', 'closed', 'system'],
  ['active', 'media_lost', 'closed', 'system'],
];

function session(state: VideoState): VideoSession {
  return { id: 'v-1', interactionId: 'i-1', state, requestedAt: 1000, startedAt: state === 'active' ? 1500 : null, endedAt: null, endedBy: null };
}

t.test('video: every legal transition leads where the table says and records its times', async (t) => {
  for (const [from, event, to, endedBy] of LEGAL) {
    const v = session(from);
    applyVideoEvent(v, event, 2000);
    t.equal(v.state, to, `${from} --${event}--> ${to}`);
    t.ok(canApply(VIDEO_STATES, from, event), `canApply(${from}, ${event})`);
    if (to === 'active') {
      t.equal(v.startedAt, 2000, 'allow starts the video now');
      t.equal(v.endedAt, null);
    } else {
      t.equal(v.endedAt, 2000, `${to}: ended now`);
      t.equal(v.endedBy, endedBy, `${from} --${event}: ended by ${endedBy}`);
    }
  }
});

t.test('video: every other transition is a conflict and changes nothing', async (t) => {
  for (const from of STATES) {
    for (const event of EVENTS) {
      if (LEGAL.some(([f, e]) => f === from && e === event)) continue;
      const v = session(from);
      const before = { ...v };
      t.throws(() => applyVideoEvent(v, event, 2000), DomainError, `${from} refuses ${event}`);
      t.same(v, before, `${from} + ${event}: unchanged`);
      t.notOk(canApply(VIDEO_STATES, from, event));
    }
  }
});

t.test('video: the refusal is a conflict that says what and why', async (t) => {
  const v = session('active');
  try {
    applyVideoEvent(v, 'decline', 1);
    t.fail('decline of a running video must be refused');
  } catch (err) {
    t.ok(err instanceof DomainError);
    t.equal((err as DomainError).kind, 'conflict');
    t.equal((err as DomainError).code, 'video_active');
    t.match((err as DomainError).message, /decline.*video is active/);
  }
});

t.test('video: open means requested or running; declined and closed are final', async (t) => {
  t.same(STATES.filter((s) => isVideoOpen(session(s))), ['requested', 'active']);
  t.notOk(isVideoOpen(null));
  t.notOk(isVideoOpen(undefined));
  for (const s of ['declined', 'closed'] as const) t.same(VIDEO_STATES[s], {}, `${s} accepts nothing`);
});
