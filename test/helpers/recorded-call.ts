// A recorded call in the rules' unit tests: Alice's chat of the Roadside service (which records its
// calls), her call connected, with the fake telephony and recorder (fake-media.ts).
import type { Agent } from '../../src/domain/directory.ts';
import { FakeRecorder, FakeTelephony } from './fake-media.ts';
import { activeChat, makeCenter } from './fakes.ts';

export async function recordedCall(agents?: Agent[]) {
  const recorder = new FakeRecorder();
  const h = await makeCenter({ telephony: new FakeTelephony(), recorder, ...(agents ? { agents } : {}) });
  await h.directory.saveService({ ...(await h.directory.getService('roadside'))!, recordCalls: true });
  const { interaction } = await activeChat(h, 'alice');
  const id = interaction.id;
  const leg = await h.desk.callCustomer('alice', id);
  await h.desk.onCallEvent(id, leg.id, 'agent_answered');
  await h.desk.onCallEvent(id, leg.id, 'customer_answered');
  return { h, id, leg, recorder };
}
