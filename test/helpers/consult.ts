// Consult tests' set-up (test/unit/consult*.test.ts): a chat with a connected call, the handoff desk,
// and what the timeline and the agents' lists show.
import type { ConsultCallEvents } from '../../src/domain/handoff.ts';
import { FakeTelephony } from './fake-media.ts';
import { activeChat, makeCenter, makeHandoffDesk, type Harness } from './fakes.ts';

// Alice is on a connected call with the customer; Bob and Carol are Ready.
export async function onCall(opts: { connected?: boolean } = {}) {
  const telephony = new FakeTelephony();
  const h = await makeCenter({ telephony });
  const desk = makeHandoffDesk(h);
  h.bus.subscribe((event) => desk.onEvent(event));
  const { interaction } = await activeChat(h, 'alice');
  const leg = await h.desk.callCustomer('alice', interaction.id);
  await h.desk.onCallEvent(interaction.id, leg.id, 'agent_answered');
  if (opts.connected !== false) await h.desk.onCallEvent(interaction.id, leg.id, 'customer_answered');
  h.center.setPresence('bob', 'make_ready');
  h.center.setPresence('carol', 'make_ready');
  return { h, desk, telephony, rec: interaction, id: interaction.id, leg };
}

export const steps = async (h: Harness, id: string) =>
  (await h.center.timeline(id)).filter((e) => e.kind === 'handoff').map((e) => {
    const d = e.data as { step: string; kind: string; reason?: string };
    return [d.step, d.kind, e.author, e.agentId, d.reason ?? null];
  });
export const sees = (h: Harness, agentId: string, id: string) => h.center.openInteractionsOf(agentId).some((r) => r.id === id);
// The telephony's reports are acted on in the background: a few turns of the event loop let them land.
export const settled = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};
export const events = (telephony: FakeTelephony, legId: string): ConsultCallEvents => telephony.consults.get(legId)!;
