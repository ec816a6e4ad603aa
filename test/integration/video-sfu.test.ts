// The SFU adapter with the real mediasoup worker and the rules (in-memory stores): its errors reach the
// rules as DomainErrors, and a worker that dies ends the running video like lost media (chat and call
// stay), while the pool starts a replacement worker for the next video.
import t from 'tap';
import { DomainError } from '../../src/domain/errors.ts';
import { onSessionLost, sfuHealth, startVideoSfu, videoRoomsPort, WorkerPool } from '../../src/sfu/index.ts';
import { eventually } from '../helpers/eventually.ts';
import { activeChat, expectDomainError, makeCenter } from '../helpers/fakes.ts';
import { childProcesses } from '../helpers/processes.ts';

const sfu = await startVideoSfu({ numWorkers: 1, logLevel: 'none' });
t.teardown(() => sfu.close());

// A browser's video track as it offers it to produce (its mid is its ssrc: one of its own per transport).
const vp8Track = (ssrc: number, cname: string) => ({ mid: String(ssrc), codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000, rtcpFeedback: [] }], headerExtensions: [], encodings: [{ ssrc }], rtcp: { cname } });

t.test('SFU refusals arrive as DomainErrors with the same kind and code', async (t) => {
  const rooms = videoRoomsPort(sfu);
  await rooms.open('room-errors');
  t.teardown(() => rooms.close('room-errors'));
  await expectDomainError(t, rooms.signal('room-errors', 'agent', { op: 'resume', consumerId: 'nope' }), 'not_found', 'participant_not_found');
  const transport = (await rooms.signal('room-errors', 'agent', { op: 'create_transport' })) as { id: string };
  await expectDomainError(t, rooms.signal('room-errors', 'agent', { op: 'produce', transportId: transport.id, kind: 'video', rtpParameters: { codecs: 'no' } }), 'invalid', 'invalid_parameters');
  await expectDomainError(t, rooms.signal('room-errors', 'customer', { op: 'consume', transportId: transport.id, rtpCapabilities: {} }), 'not_found', 'participant_not_found', "the agent's transport is not the customer's");
  for (let i = 0; i < 3; i++) await rooms.signal('room-errors', 'agent', { op: 'create_transport' });
  await expectDomainError(t, rooms.signal('room-errors', 'agent', { op: 'create_transport' }), 'conflict', 'too_many_transports', 'a fifth transport');
  await expectDomainError(t, rooms.dump('no-such-room'), 'not_found', 'video_session_not_found');
  t.equal(sfuHealth(sfu).state, 'up');
});

// A participant's browser may ask for tracks all at once: the cap of four counts those being made too.
t.test('tracks asked for at once stay within the cap of four per participant', async (t) => {
  const rooms = videoRoomsPort(sfu);
  await rooms.open('room-burst');
  t.teardown(() => rooms.close('room-burst'));
  const transport = (await rooms.signal('room-burst', 'customer', { op: 'create_transport' })) as { id: string };
  const asked = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => rooms.signal('room-burst', 'customer', { op: 'produce', transportId: transport.id, kind: 'video', rtpParameters: vp8Track(1000 + i, 'burst') })));
  t.equal(asked.filter((r) => r.status === 'fulfilled').length, 4, 'four of twelve made');
  const refusals = asked.flatMap((r) => (r.status === 'rejected' ? [(r.reason as DomainError).code] : []));
  t.same([...new Set(refusals)], ['too_many_producers'], 'the other eight refused as too many');
  t.equal((await rooms.dump('room-burst')).participants.customer.producers, 4, 'the room holds four');

  // The other side asks for them as many times at once: one consumer per track on its transport.
  const { routerRtpCapabilities: rtpCapabilities } = (await rooms.signal('room-burst', 'agent', { op: 'capabilities' })) as { routerRtpCapabilities: unknown };
  const receiving = (await rooms.signal('room-burst', 'agent', { op: 'create_transport' })) as { id: string };
  await Promise.all(Array.from({ length: 12 }, () => rooms.signal('room-burst', 'agent', { op: 'consume', transportId: receiving.id, rtpCapabilities })));
  t.equal((await rooms.dump('room-burst')).participants.agent.consumers, 4, 'four consumers, not one per ask');
});

// A page that closes its transport (the agent left the panel) while its tracks are being made.
t.test('tracks still being made when their transport closes are not kept open for good', async (t) => {
  const rooms = videoRoomsPort(sfu);
  await rooms.open('room-zombie');
  t.teardown(() => rooms.close('room-zombie'));
  const transport = (await rooms.signal('room-zombie', 'customer', { op: 'create_transport' })) as { id: string };
  const asked = [0, 1].map((i) => rooms.signal('room-zombie', 'customer', { op: 'produce', transportId: transport.id, kind: 'video', rtpParameters: vp8Track(2000 + i, 'zombie') }));
  await new Promise((resolve) => setImmediate(resolve)); // the worker has the asks
  await rooms.signal('room-zombie', 'customer', { op: 'close_transport', transportId: transport.id });
  await Promise.allSettled(asked);
  // The other side asks for what the customer sends: nothing, not a track the worker no longer has.
  const { routerRtpCapabilities: rtpCapabilities } = (await rooms.signal('room-zombie', 'agent', { op: 'capabilities' })) as { routerRtpCapabilities: unknown };
  const receiving = (await rooms.signal('room-zombie', 'agent', { op: 'create_transport' })) as { id: string };
  const got = (await rooms.signal('room-zombie', 'agent', { op: 'consume', transportId: receiving.id, rtpCapabilities })) as { consumers: unknown[] };
  t.same(got.consumers, [], 'the agent receives nothing of the closed transport, and is not refused');
  // The customer's page makes a new transport and sends again: the agent receives it.
  const again = (await rooms.signal('room-zombie', 'customer', { op: 'create_transport' })) as { id: string };
  await rooms.signal('room-zombie', 'customer', { op: 'produce', transportId: again.id, kind: 'video', rtpParameters: vp8Track(2009, 'zombie') });
  const now = (await rooms.signal('room-zombie', 'agent', { op: 'consume', transportId: receiving.id, rtpCapabilities })) as { consumers: unknown[] };
  t.equal(now.consumers.length, 1, 'the new track is received');
});

t.test('a dying worker ends the running video as lost media; the next video gets a new worker', async (t) => {
  const h = await makeCenter({ video: videoRoomsPort(sfu) });
  const desk = h.desk;
  const unsubscribe = onSessionLost(sfu, (sessionId) => void desk.onVideoLost(sessionId).catch((err: unknown) => t.fail(String(err))));
  t.teardown(unsubscribe);

  const { interaction } = await activeChat(h);
  const { video } = await desk.requestVideo(interaction.id);
  await desk.allowVideo('alice', interaction.id);
  await desk.videoSignal(interaction.id, 'customer', undefined, { op: 'create_transport' });
  const before = sfuHealth(sfu);
  t.same([before.workers, before.sessions], [1, 1]);

  // The only worker goes away with the room.
  const pid = await workerPid();
  process.kill(pid, 'SIGKILL');
  await eventually('the video to end', async () => (video.state === 'closed' ? true : undefined), 5000);
  t.same([video.state, video.endedBy], ['closed', 'system'], 'ended as lost media, by the system');
  t.equal(h.interactions.require(interaction.id).state, 'active', 'the chat goes on');
  const kinds = h.store.entriesOf(interaction.id).filter((e) => e.kind === 'video').map((e) => (e.data as { state: string }).state);
  t.same(kinds, ['requested', 'active', 'closed'], 'on the timeline, where the customer reads it');
  await expectDomainError(t, desk.videoSignal(interaction.id, 'customer', undefined, { op: 'capabilities' }), 'conflict', 'video_not_active');

  await eventually('a replacement worker', async () => (sfuHealth(sfu).workers === 1 ? true : undefined), 10_000);
  t.not(await workerPid(), pid, 'a new worker process');
  await desk.requestVideo(interaction.id);
  await desk.allowVideo('alice', interaction.id);
  t.type(await desk.videoSignal(interaction.id, 'customer', undefined, { op: 'create_transport' }), 'object', 'video works again');
  await desk.customerCloseVideo(interaction.id);
  t.equal(sfuHealth(sfu).sessions, 0);
});

t.test('a late request of a video that ended (capabilities, create_transport) is refused and opens no room again', async (t) => {
  const rooms = videoRoomsPort(sfu);
  await rooms.open('ended-video');
  await rooms.close('ended-video');
  for (const op of ['capabilities', 'create_transport'] as const) {
    await t.rejects(rooms.signal('ended-video', 'customer', { op }), { kind: 'not_found', code: 'video_session_not_found' }, `${op}: 404`);
  }
  t.notOk(sfu.hasSession('ended-video'), 'no router was made again for it');
  t.notOk(sfu.sessionIds().includes('ended-video'));
});

t.test('a worker that keeps dying is restarted after a backoff, never given up on', async (t) => {
  const pool = await WorkerPool.start({ numWorkers: 1, logLevel: 'none', respawnBackoffMs: 1000 });
  t.teardown(() => pool.close());
  const runningPid = (other?: number) =>
    eventually('a running worker', async () => {
      const pid = pool.size === 1 ? (await pool.dump())[0]?.pid : undefined;
      return pid === other ? undefined : pid;
    }, 5000);
  let pid = await runningPid();
  for (let death = 1; death <= 10; death++) {
    process.kill(pid, 'SIGKILL');
    pid = await runningPid(pid);
  }
  t.pass('ten deaths, each worker replaced at once');
  process.kill(pid, 'SIGKILL');
  await eventually('the eleventh death seen', async () => (pool.size === 0 ? true : undefined), 5000);
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.equal(pool.size, 0, 'past ten deaths in ten minutes the replacement waits for the backoff');
  await runningPid();
  t.pass('and then starts');
});

t.test('after close() the SFU refuses, and says so', async (t) => {
  const other = await startVideoSfu({ numWorkers: 1, logLevel: 'none' });
  await other.close();
  await other.close();
  t.equal(sfuHealth(other).state, 'down');
  try {
    await videoRoomsPort(other).open('late');
    t.fail('open after close must be refused');
  } catch (err) {
    t.ok(err instanceof DomainError);
    t.equal((err as DomainError).code, 'sfu_closed');
  }
});

// The pid of this process's mediasoup worker (the SFU's interface shows no pids).
async function workerPid(): Promise<number> {
  const [pid] = await childProcesses(process.pid, 'mediasoup-work');
  if (pid === undefined) throw new Error('no mediasoup worker under this process');
  return pid;
}
