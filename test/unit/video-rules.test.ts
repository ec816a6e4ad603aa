// The video rules of MultimediaDesk with in-memory fakes: the customer asks, the agent allows or declines,
// only the customer closes video alone, End session ends video, call and chat in that order, signaling is
// for the two participants only and says whether the video carries the voice.
import t, { type Test } from 'tap';
import { DomainError } from '../../src/domain/errors.ts';
import { activeChat, disableAgent, expectDomainError, makeCenter, type Harness } from '../helpers/fakes.ts';
import { FakeTelephony, FakeVideoRooms } from '../helpers/fake-media.ts';

interface Desk extends Harness {
  rooms: FakeVideoRooms;
  telephony: FakeTelephony;
}

async function makeDesk(opts: { video?: boolean } = {}): Promise<Desk> {
  const rooms = new FakeVideoRooms();
  const telephony = new FakeTelephony();
  const h = await makeCenter({ telephony, video: opts.video === false ? undefined : rooms });
  return { ...h, rooms, telephony };
}

async function running(d: Desk, t: Test) {
  const { interaction } = await activeChat(d);
  const { video } = await d.desk.requestVideo(interaction.id);
  await d.desk.allowVideo('alice', interaction.id);
  t.equal(video.state, 'active', 'the video runs');
  return { id: interaction.id, video };
}

const videoEntries = (d: Desk, id: string) => d.store.entriesOf(id).filter((e) => e.kind === 'video').map((e) => e.data as { state: string; endedBy: string | null });

t.test('a request is idempotent while open; a new one may follow a close', async (t) => {
  const d = await makeDesk();
  const { interaction } = await activeChat(d);
  const { video: first, created } = await d.desk.requestVideo(interaction.id);
  t.ok(created, 'the first request opens a video session');
  const again = await d.desk.requestVideo(interaction.id);
  t.same([again.video, again.created], [first, false], 'the same request, not a new one');
  t.equal(videoEntries(d, interaction.id).length, 1, 'recorded once');
  await d.desk.allowVideo('alice', interaction.id);
  t.equal((await d.desk.requestVideo(interaction.id)).video.id, first.id, 'asking while it runs changes nothing');
  await d.desk.customerCloseVideo(interaction.id);
  const { video: later } = await d.desk.requestVideo(interaction.id);
  t.not(later.id, first.id, 'after a close the customer may ask again');
  t.equal(later.state, 'requested');
});

t.test('a request on an ended chat is a conflict; without an SFU video is unavailable', async (t) => {
  const d = await makeDesk();
  const { interaction } = await activeChat(d);
  await d.center.endByCustomer(interaction.id);
  await expectDomainError(t, d.desk.requestVideo(interaction.id), 'conflict', 'chat_ended');
  const none = await makeDesk({ video: false });
  const other = await activeChat(none);
  await expectDomainError(t, none.desk.requestVideo(other.interaction.id), 'unavailable', 'video_unavailable');
});

t.test('Allow opens the room once, then the video runs; Decline tells the customer and opens nothing', async (t) => {
  const d = await makeDesk();
  const { id, video } = await running(d, t);
  t.same(d.rooms.calls, [`open ${video.id}`]);
  await expectDomainError(t, d.desk.allowVideo('alice', id), 'conflict', 'video_active', 'Allow twice');
  t.same(d.rooms.calls, [`open ${video.id}`], 'a refused Allow opens no room');
  await expectDomainError(t, d.desk.declineVideo('alice', id), 'conflict', 'video_active', 'Decline once it runs');
  await expectDomainError(t, d.desk.allowVideo('bob', id), 'forbidden', 'not_your_chat', "another agent's Allow");

  const second = await activeChat(d, 'bob');
  const { video: request } = await d.desk.requestVideo(second.interaction.id);
  await d.desk.declineVideo('bob', second.interaction.id);
  t.same([request.state, request.endedBy], ['declined', 'agent']);
  t.notOk(d.rooms.calls.includes(`open ${request.id}`), 'no room for a declined request');
  t.same(videoEntries(d, second.interaction.id).map((v) => v.state), ['requested', 'declined'], 'the customer reads it on the timeline');
  await expectDomainError(t, d.desk.allowVideo('bob', second.interaction.id), 'conflict', 'video_declined', 'Allow after Decline');
});

t.test('a room that cannot open leaves the request as it was', async (t) => {
  const d = await makeDesk();
  const { interaction } = await activeChat(d);
  const { video } = await d.desk.requestVideo(interaction.id);
  d.rooms.failOpen = new DomainError('unavailable', 'sfu_unavailable', 'no worker');
  await expectDomainError(t, d.desk.allowVideo('alice', interaction.id), 'unavailable', 'sfu_unavailable');
  t.equal(video.state, 'requested', 'still asking');
  d.rooms.failOpen = null;
  await d.desk.allowVideo('alice', interaction.id);
  t.equal(video.state, 'active', 'Allow works once the SFU is back');
});

t.test('only the customer closes video alone: chat and call stay; the agent has End session only', async (t) => {
  const d = await makeDesk();
  const { id, video } = await running(d, t);
  const leg = await d.desk.callCustomer('alice', id);
  await expectDomainError(t, d.center.disconnect('alice', id), 'conflict', undefined, 'Disconnect while call and video run');
  await expectDomainError(t, d.desk.releaseCall('alice', id), 'conflict', 'video_active', 'Release call while video runs');

  await d.desk.customerCloseVideo(id);
  t.same([video.state, video.endedBy], ['closed', 'customer']);
  t.ok(d.rooms.calls.includes(`close ${video.id}`), 'the room is closed');
  t.equal(d.interactions.require(id).state, 'active', 'the chat goes on');
  t.equal(leg.state, 'dialing_agent', 'the call goes on');
  await d.desk.releaseCall('alice', id);
  t.equal(leg.state, 'released', "Release call is the agent's again");
  await d.center.disconnect('alice', id);
  t.equal(d.interactions.get(id), undefined, 'and so is Disconnect chat');
});

t.test('End session closes video, releases the call, disconnects the chat: in that order, on the timeline', async (t) => {
  const d = await makeDesk();
  const { id, video } = await running(d, t);
  const leg = await d.desk.callCustomer('alice', id);
  await expectDomainError(t, d.center.endSession('bob', id), 'forbidden', 'not_your_chat');
  const rec = await d.center.endSession('alice', id);
  t.equal(rec.state, 'ended');
  t.equal(rec.endedBy, 'agent');
  t.same([video.state, video.endedBy], ['closed', 'agent']);
  t.equal(leg.state, 'released');
  const kinds = d.store.entriesOf(id).map((e) => (e.kind === 'video' ? `video ${(e.data as { state: string }).state}` : e.kind === 'call' ? `call ${(e.data as { state: string }).state}` : e.kind));
  const tail = kinds.slice(kinds.indexOf('video closed'));
  t.same(tail, ['video closed', 'call released', 'ended'], 'video, then call, then chat');
  const order = [...d.rooms.calls.filter((c) => c.startsWith('close')), ...d.telephony.calls.filter((c) => c.startsWith('release'))];
  t.same(order, [`close ${video.id}`, `release ${leg.id}`]);
});

t.test('End session with video only, and with nothing but the chat', async (t) => {
  const d = await makeDesk();
  const { id } = await running(d, t);
  await d.center.endSession('alice', id);
  t.same(d.telephony.calls, [], 'no call to release');
  const plain = await activeChat(d);
  const rec = await d.center.endSession('alice', plain.interaction.id);
  t.equal(rec.state, 'ended', 'End session of a plain chat is a Disconnect');
});

t.test('ending the chat any other way closes an open video first', async (t) => {
  const d = await makeDesk();
  const { id, video } = await running(d, t);
  await d.center.endByCustomer(id);
  t.same([video.state, video.endedBy], ['closed', 'customer'], 'the customer ends the chat: video closed by them');
  t.ok(d.rooms.calls.includes(`close ${video.id}`));

  const asked = await activeChat(d);
  const { video: request } = await d.desk.requestVideo(asked.interaction.id);
  await d.center.disconnect('alice', asked.interaction.id);
  t.same([request.state, request.endedBy], ['closed', 'agent'], 'a request nobody answered ends with the chat the agent disconnects');
});

t.test('an admin disabling the agent ends a running video as the system, not as the agent', async (t) => {
  const d = await makeDesk();
  const { id, video } = await running(d, t);
  await disableAgent(d, 'alice');
  t.same([video.state, video.endedBy], ['closed', 'system'], 'closed by the system');
  const closed = d.store.entriesOf(id).find((e) => e.kind === 'video' && (e.data as { state: string }).state === 'closed');
  t.equal(closed?.author, 'system', 'and so the timeline says');
});

t.test('lost media ends a running video like a close, nothing else', async (t) => {
  const d = await makeDesk();
  const { id, video } = await running(d, t);
  await d.desk.onVideoLost('no-such-session');
  t.equal(video.state, 'active', 'an unknown session changes nothing');
  await d.desk.onVideoLost(video.id);
  t.same([video.state, video.endedBy], ['closed', 'system']);
  t.equal(d.interactions.require(id).state, 'active', 'the chat goes on');
  await d.desk.onVideoLost(video.id);
  t.equal(videoEntries(d, id).filter((v) => v.state === 'closed').length, 1, 'said once');
});

t.test('signaling: only the two participants of a running video; the answer says whether to send audio', async (t) => {
  const d = await makeDesk();
  const { interaction } = await activeChat(d);
  const id = interaction.id;
  await expectDomainError(t, d.desk.videoSignal(id, 'customer', undefined, { op: 'capabilities' }), 'conflict', 'video_not_active', 'before a request');
  await d.desk.requestVideo(id);
  await expectDomainError(t, d.desk.videoSignal(id, 'customer', undefined, { op: 'capabilities' }), 'conflict', 'video_not_active', 'while requested');
  await d.desk.allowVideo('alice', id);
  await expectDomainError(t, d.desk.videoSignal(id, 'agent', 'bob', { op: 'capabilities' }), 'forbidden', 'not_your_chat', 'another agent');

  t.match(await d.desk.videoSignal(id, 'customer', undefined, { op: 'capabilities' }), { withAudio: true }, 'no call: the video carries the voice');
  await d.desk.callCustomer('alice', id);
  t.match(await d.desk.videoSignal(id, 'agent', 'alice', { op: 'capabilities' }), { withAudio: false }, 'a call is up: video only');
  t.match(await d.desk.videoSignal(id, 'agent', 'alice', { op: 'consume', transportId: 't', rtpCapabilities: {} }), { live: [], withAudio: false }, 'consume says it too');
  t.notMatch(await d.desk.videoSignal(id, 'agent', 'alice', { op: 'create_transport' }), { withAudio: Boolean }, 'other answers go through as they are');
  t.same(d.rooms.calls.filter((c) => c.startsWith('signal')), ['signal customer capabilities', 'signal agent capabilities', 'signal agent consume', 'signal agent create_transport']);
});

t.test("a participant's page going away closes their transports only while the video runs", async (t) => {
  const d = await makeDesk();
  const { interaction } = await activeChat(d);
  const leaves = () => d.rooms.calls.filter((c) => c.startsWith('leave'));
  d.desk.participantLeft(interaction.id, 'customer');
  await d.desk.requestVideo(interaction.id);
  d.desk.participantLeft(interaction.id, 'customer');
  t.same(leaves(), [], 'no running video: nothing to close');
  const video = await d.desk.allowVideo('alice', interaction.id);
  d.desk.participantLeft(interaction.id, 'customer');
  d.desk.agentLeft('bob');
  t.same(leaves(), [`leave ${video.id} customer`], "the customer's side only; bob has no video");
  t.equal(video.state, 'active', 'the session stays');
  await d.desk.customerCloseVideo(interaction.id);
  d.desk.participantLeft(interaction.id, 'customer');
  t.equal(leaves().length, 1, 'after the close there is nothing more to close');
});

t.test("a side's transports go once its last page has gone, whichever node served each page", async (t) => {
  const d = await makeDesk();
  const first = await running(d, t);
  const leaves = () => d.rooms.calls.filter((c) => c.startsWith('leave'));
  // The customer's phone back from the background: a new socket (another node), then the old one cut.
  d.desk.customerJoined(first.id, 'page-on-node-a');
  d.desk.customerJoined(first.id, 'page-on-node-b');
  d.desk.participantLeft(first.id, 'customer', 'page-on-node-a');
  t.same(leaves(), [], 'the page is still there, on the other node: its video stays');
  d.desk.participantLeft(first.id, 'customer', 'page-on-node-b');
  t.same(leaves(), [`leave ${first.video.id} customer`], 'its last page gone: its transports go');

  // The agent's two tabs: closing the one without video leaves the other's alone.
  d.desk.agentJoined('alice', 'tab-1');
  d.desk.agentJoined('alice', 'tab-2');
  d.desk.agentLeft('alice', 'tab-1');
  t.equal(leaves().length, 1, "the agent's other tab keeps the video");
  d.desk.agentLeft('alice', 'tab-2');
  t.same(leaves().at(-1), `leave ${first.video.id} agent`, "the agent's last tab gone: their side goes");
});

t.test("the agent's desktop going away closes the agent's side of each running video", async (t) => {
  const d = await makeDesk();
  const first = await running(d, t);
  const second = await running(d, t);
  d.desk.agentLeft('alice');
  t.same(d.rooms.calls.filter((c) => c.startsWith('leave')).sort(), [`leave ${first.video.id} agent`, `leave ${second.video.id} agent`].sort());
  t.same((await d.desk.videoDump('alice', first.id)).participants.agent, { transports: 0, producers: 0, consumers: 0 });
  await expectDomainError(t, d.desk.videoDump('bob', first.id), 'forbidden', 'not_your_chat', "another agent's dump");
});

t.test('a request the customer closes while the room opens: Allow is refused and the room closed', async (t) => {
  const d = await makeDesk();
  const { interaction } = await activeChat(d);
  const { video } = await d.desk.requestVideo(interaction.id);
  const open = d.rooms.open.bind(d.rooms);
  // The close arrives while the SFU is still making the room: it finds no room to close yet.
  d.rooms.open = async (sessionId) => {
    await d.desk.customerCloseVideo(interaction.id);
    await open(sessionId);
  };
  await expectDomainError(t, d.desk.allowVideo('alice', interaction.id), 'conflict', 'video_closed');
  t.same([video.state, video.endedBy], ['closed', 'customer']);
  t.notOk(d.rooms.rooms.has(video.id), 'no room left open');
});

t.test('Allow clicked twice at once: one opens the video, the other is refused and leaves its room open', async (t) => {
  const d = await makeDesk();
  const { interaction } = await activeChat(d);
  const { video } = await d.desk.requestVideo(interaction.id);
  const [first, second] = await Promise.allSettled([d.desk.allowVideo('alice', interaction.id), d.desk.allowVideo('alice', interaction.id)]);
  t.equal(first.status, 'fulfilled', 'the first Allow starts the video');
  t.equal(second.status === 'rejected' && second.reason instanceof DomainError && second.reason.code, 'video_active', 'the second is refused: the video runs');
  t.equal(video.state, 'active', 'the video runs');
  t.ok(d.rooms.rooms.has(video.id), 'its room is still open');
});

t.test('a video asked for while End session closes the last one is closed too: none outlives the chat', async (t) => {
  const d = await makeDesk();
  const { id } = await running(d, t);
  // Closing the room takes a moment; the customer asks again meanwhile.
  const close = d.rooms.close.bind(d.rooms);
  d.rooms.close = async (sessionId: string) => (await new Promise((resolve) => setTimeout(resolve, 20)), close(sessionId));
  const ending = d.center.endSession('alice', id);
  await new Promise((resolve) => setTimeout(resolve, 5));
  const { video: asked } = await d.desk.requestVideo(id);
  t.equal((await ending).state, 'ended');
  t.not(asked.state, 'requested', 'the request made meanwhile is closed with the chat');
  t.equal(d.rooms.rooms.size, 0, 'no room is left');
});
