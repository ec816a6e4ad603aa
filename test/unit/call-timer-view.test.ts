// The agent's call timer counts from what the server's clock says (data-elapsed), not the PC's: the
// view carries how long the call has been up when it was rendered.
import t from 'tap';
import type { CallLeg } from '../../src/domain/call-leg.ts';
import { agentActions } from '../../src/domain/guards.ts';
import { mediaView } from '../../src/web/desktop/media-view.ts';
import { interactionRecord } from '../helpers/fakes.ts';

const ANSWERED = Date.UTC(2026, 11, 6, 9, 0, 0);
const leg = (over: Partial<CallLeg>): CallLeg => ({
  id: 'leg-1', interactionId: 'chat-1', serviceId: 'roadside', agentId: 'agent1', customerNumber: '+15551234567',
  state: 'connected', mute: 'unmuted', startedAt: ANSWERED - 5000, answeredAt: ANSWERED, endedAt: null, cause: null, ...over,
});

t.test('a connected call: how long it has been up, by the server clock', async (t) => {
  const rec = interactionRecord({ state: 'active', agentId: 'agent1', callLegs: [leg({})] });
  const view = mediaView(rec, agentActions(rec, 'agent1', { callingConfigured: true, videoConfigured: true }), false, ANSWERED + 95_000);
  t.match(view.call, { live: true, answeredAt: ANSWERED, elapsedMs: 95_000 });
});

t.test('a call not answered yet has no time; a server clock behind the answer shows 0, not a negative time', async (t) => {
  const ringing = interactionRecord({ state: 'active', agentId: 'agent1', callLegs: [leg({ state: 'ringing', answeredAt: null })] });
  t.equal(mediaView(ringing, agentActions(ringing, 'agent1', { callingConfigured: true, videoConfigured: true })).call?.elapsedMs, null);
  const rec = interactionRecord({ state: 'active', agentId: 'agent1', callLegs: [leg({})] });
  t.equal(mediaView(rec, agentActions(rec, 'agent1', { callingConfigured: true, videoConfigured: true }), false, ANSWERED - 2000).call?.elapsedMs, 0);
});
