// Entries written after a chat has ended, by the telephony's late reports (a recording collected, a
// supervisor taken off the call) and by its closing (the customer's rating, the agent's Done): each
// takes its own seq, so none is refused by the store, and the stored interaction keeps every change.
import t from 'tap';
import { SupervisionDesk } from '../../src/domain/supervision-desk.ts';
import { AGENTS } from '../helpers/fakes.ts';
import { recordedCall as recordedCallScene } from '../helpers/recorded-call.ts';

const PEOPLE = [
  ...AGENTS,
  { id: 'sam', displayName: 'Sam Supervisor', passwordHash: 'x', serviceIds: [], role: 'supervisor' as const },
  { id: 'sue', displayName: 'Sue Supervisor', passwordHash: 'x', serviceIds: [], role: 'supervisor' as const },
];

async function recordedCall() {
  const { h, id, leg, recorder } = await recordedCallScene(PEOPLE);
  const seqs = () => h.store.entriesOf(id).map((e) => e.seq);
  return { h, id, leg, recorder, seqs };
}

t.test('the customer rates while the recording is still being collected after End session: both are on the timeline', async (t) => {
  const { h, id, leg, recorder, seqs } = await recordedCall();
  let collected!: () => void;
  const collect = recorder.collect.bind(recorder);
  recorder.collect = async (rid) => (await new Promise<void>((resolve) => (collected = resolve)), collect(rid));
  await h.center.endSession('alice', id);
  await h.store.settled();
  await h.interactions.closing.record(id, async () => ({ kind: 'rating', author: 'customer', data: { score: 5 } }));
  collected();
  await h.recordings.settled();
  await h.store.settled();
  t.same(h.listenerErrors, [], 'no write refused');
  const rid = leg.recording!.id;
  t.ok(h.store.entriesOf(id).some((e) => e.kind === 'recording' && (e.data as { state: string }).state === 'stopped'), "the recording's player is on the timeline");
  t.ok(h.store.entriesOf(id).some((e) => e.kind === 'rating'), 'and the rating');
  t.same(seqs(), [...new Set(seqs())], 'every entry has its own seq');
  t.equal((await h.store.getInteraction(id))?.callLegs[0]?.recording?.state, 'stopped', 'the stored interaction says the recording is stored');
  t.ok(recorder.calls.includes(`discard ${rid}`), 'the file is removed from Asterisk');
});

t.test('two supervisors taken off a call after End session: both leavings are written, each with its seq', async (t) => {
  const { h, id, seqs } = await recordedCall();
  const desk = new SupervisionDesk({ interactions: h.interactions, telephony: { join: async () => undefined, setMode: async () => undefined, leave: async () => undefined }, directory: h.directory, clock: h.clock, capabilities: h.desk.capabilities });
  const sam = await desk.listen('sam', id);
  const sue = await desk.listen('sue', id);
  await desk.onSupervisionEvent(id, sam.id, 'answered');
  await desk.onSupervisionEvent(id, sue.id, 'answered');
  await h.center.endSession('alice', id);
  await h.store.settled();
  // The telephony reports both at once, once the chat has ended (the call's release took them off).
  await Promise.all([desk.onSupervisionEvent(id, sam.id, 'call_ended'), desk.onSupervisionEvent(id, sue.id, 'call_ended')]);
  await h.recordings.settled();
  await h.store.settled();
  t.same(h.listenerErrors, []);
  const left = h.store.entriesOf(id).filter((e) => e.kind === 'supervision' && (e.data as { state: string }).state === 'ended');
  t.same(left.map((e) => e.agentId).sort(), ['sam', 'sue'], "both supervisors' leaving is on the timeline");
  t.same(seqs(), [...new Set(seqs())], 'every entry has its own seq');
  const stored = await h.store.getInteraction(id);
  t.same(stored?.callLegs[0]?.supervisions?.map((s) => s.state), ['ended', 'ended'], 'the stored call says nobody supervises it');
});
