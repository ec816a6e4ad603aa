// Video through the real server and its real SFU (mediasoup workers): the customer's request, the agent's
// Allow/Decline, who may close what, End session's order on the timeline, signaling for both sides with
// its authorisation, a dropped socket closing that side's transports, and no leak after 50 open/close
// cycles (the router's own dump and the worker's router count). One server for the file; every test makes
// its own chats and ends them.
import t from 'tap';
import type { ChatHandle } from '../helpers/api-client.ts';
import { expectError } from '../helpers/api-errors.ts';
import { agentGet, agentPost, desktopSocketUrl } from '../helpers/desktop-client.ts';
import { eventually, sleep } from '../helpers/eventually.ts';
import { acceptedChat, withDesk } from '../helpers/fixtures.ts';
import { fetchOpenApi, undocumented } from '../helpers/openapi-check.ts';
import { openSocket, type SocketProbe } from '../helpers/socket-probe.ts';
import { agentSignal, consume, customerSignal, join, ok, roomDump, sfuHealth } from '../helpers/video-signal.ts';

// 50 open/close cycles of one chat below: far more than a customer's asks are allowed in a minute.
const { server, api, agent1, agent2 } = await withDesk(t, { env: { VIDEO_REQUESTS_PER_CHAT_PER_MINUTE: '1000', VIDEO_TRANSPORTS_PER_CHAT_PER_MINUTE: '1000', HISTORY_READS_PER_CHAT_PER_MINUTE: '1000' } });

interface VideoJson {
  id: string;
  state: string;
  ended_by: string | null;
}

async function requestVideo(chat: ChatHandle): Promise<{ status: number; video: VideoJson }> {
  const res = await api.request('POST', `/api/v1/chats/${chat.id}/video`, { token: chat.token });
  return { status: res.status, video: (await res.json()) as VideoJson };
}

async function closeVideo(chat: ChatHandle): Promise<{ status: number; video: VideoJson }> {
  const res = await api.request('DELETE', `/api/v1/chats/${chat.id}/video`, { token: chat.token });
  return { status: res.status, video: (await res.json()) as VideoJson };
}

async function agentAction(chat: ChatHandle, action: string): Promise<{ status: number; html: string }> {
  const res = await agentPost(agent1, `/desktop/interactions/${chat.id}/${action}`);
  return { status: res.status, html: await res.text() };
}

/** Requested and allowed: the video runs. */
async function runningVideo(chat: ChatHandle): Promise<VideoJson> {
  const { video } = await requestVideo(chat);
  const allowed = await agentAction(chat, 'video/allow');
  if (allowed.status !== 200) throw new Error(`allow: expected 200, got ${allowed.status}: ${allowed.html}`);
  return video;
}

async function panelHtml(chat: ChatHandle): Promise<string> {
  return (await agentGet(agent1, `/desktop/interactions/${chat.id}`, { htmx: true })).text();
}

type VideoFrame = { type: string; kind?: string; seq?: number; video?: VideoJson };
const frames = (socket: SocketProbe) => socket.frames.map((f) => JSON.parse(f) as VideoFrame);
const videoFrame = (state: string) => (f: string) => {
  const frame = JSON.parse(f) as VideoFrame;
  return frame.type === 'timeline' && frame.kind === 'video' && frame.video?.state === state;
};

t.test('a request shows Allow and Decline to the agent, is idempotent, and Decline tells the customer', async (t) => {
  const chat = await acceptedChat(t, api, agent1);
  const events = await api.openEvents(chat.id, chat.token);
  t.teardown(() => events.close());

  const first = await requestVideo(chat);
  t.equal(first.status, 201, 'the first request is created');
  t.equal(first.video.state, 'requested');
  const again = await requestVideo(chat);
  t.equal(again.status, 200, 'asking again while it is open changes nothing');
  t.equal(again.video.id, first.video.id, 'the same video request');

  const panel = await panelHtml(chat);
  t.match(panel, /data-video-request=/, 'the panel carries the prompt (the desktop raises a notification from it)');
  t.match(panel, />Allow</, 'Allow');
  t.match(panel, />Decline</, 'Decline');

  const declined = await agentAction(chat, 'video/decline');
  t.equal(declined.status, 200);
  t.match(declined.html, /Video declined/);
  const late = await agentAction(chat, 'video/allow');
  t.equal(late.status, 409, 'Allow after Decline (a second tab) is refused');
  t.match(late.html, /<p class="error" role="alert">[^<]+<\/p>/, 'with its reason in the video area');
  await events.waitFor(videoFrame('declined'), 'the customer is told');
  t.equal(frames(events).filter((f) => f.kind === 'video' && f.video?.state === 'requested').length, 1, 'one request on the timeline');

  const later = await requestVideo(chat);
  t.equal(later.status, 201, 'the customer may ask again');
  t.not(later.video.id, first.video.id, 'a new request');
});

t.test('a request on an ended chat answers 409; video calls on an unknown chat 404', async (t) => {
  const chat = await api.createChat();
  await (await api.end(chat)).text();
  await expectError(t, await api.request('POST', `/api/v1/chats/${chat.id}/video`, { token: chat.token }), 409, 'request', 'chat_ended');
  await expectError(t, await api.request('DELETE', `/api/v1/chats/${chat.id}/video`, { token: chat.token }), 409, 'close', 'chat_ended');
  await expectError(t, await api.request('POST', `/api/v1/chats/${chat.id}/video/signal`, { token: chat.token, json: { op: 'capabilities' } }), 409, 'signal', 'chat_ended');
  const unknown = '00000000-0000-0000-0000-000000000000';
  await expectError(t, await api.request('POST', `/api/v1/chats/${unknown}/video/signal`, { token: chat.token, json: { op: 'capabilities' } }), 404, 'signal on an unknown chat');
});

t.test('signaling is only for the two participants of a running video', async (t) => {
  const chat = await acceptedChat(t, api, agent1);
  const customer = customerSignal(api, chat);
  await expectError(t, await api.request('POST', `/api/v1/chats/${chat.id}/video/signal`, { token: chat.token, json: { op: 'capabilities' } }), 409, 'before any request', 'video_not_active');
  await requestVideo(chat);
  t.equal((await customer({ op: 'capabilities' })).status, 409, 'while only requested');
  await agentAction(chat, 'video/allow');

  const caps = await ok(customer, { op: 'capabilities' });
  t.type(caps.routerRtpCapabilities, 'object', 'the router RTP capabilities for device.load()');
  t.equal(caps.withAudio, true, 'no call is up: the video carries audio');
  await expectError(t, await api.request('POST', `/api/v1/chats/${chat.id}/video/signal`, { json: { op: 'capabilities' } }), 401, 'no token');
  await expectError(t, await api.request('POST', `/api/v1/chats/${chat.id}/video/signal`, { token: 'nope', json: { op: 'capabilities' } }), 403, 'a wrong token');
  await expectError(t, await api.request('POST', `/api/v1/chats/${chat.id}/video/signal`, { token: chat.token, json: { op: 'dance' } }), 400, 'an unknown op');
  await expectError(t, await api.request('POST', `/api/v1/chats/${chat.id}/video/signal`, { token: chat.token, json: { op: 'resume', consumerId: 'x' } }), 404, 'an unknown consumer', 'participant_not_found');

  const other = await agentSignal(agent2, chat)({ op: 'capabilities' });
  t.equal(other.status, 403, "another agent cannot signal in agent1's chat");
  t.equal((await agentSignal(agent1, chat, { csrf: 'wrong' })({ op: 'capabilities' })).status, 403, 'the agent needs the CSRF token');
  t.equal((await agentSignal(agent1, chat)({ op: 'create_transport', extra: 1 })).status, 400, 'unknown fields are refused');

  // Both join and receive each other.
  const agentSide = agentSignal(agent1, chat);
  const a = await join(agentSide, { audio: true });
  const c = await join(customer, { audio: true });
  const got = await consume(agentSide, a);
  t.same(got.consumers.map((x) => x.producerId).sort(), [...c.producerIds].sort(), "the agent consumes the customer's camera and microphone");
  t.same((await consume(agentSide, a)).consumers, [], 'a second poll brings nothing new');
  t.equal((await consume(customer, c)).consumers.length, 2, "the customer consumes the agent's camera and microphone");

  // The customer stops the microphone: the agent's consumer of it goes.
  await ok(customer, { op: 'close_producer', producerId: c.producerIds[1] });
  // The worker tells the consumers their producer closed a moment later: the next poll knows.
  const after = await eventually('the closed microphone to leave the live list', async () => {
    const answer = await consume(agentSide, a);
    return answer.live.length === 1 ? answer : undefined;
  });
  t.equal(after.live.length, 1, "the agent's consumer of the closed microphone is gone");
  const dump = await roomDump(agent1, chat);
  t.same(dump.participants.customer, { transports: 2, producers: 1, consumers: 2 }, 'customer: two transports, the camera, two consumers');
  t.same(dump.participants.agent, { transports: 2, producers: 2, consumers: 1 }, 'agent: two transports, camera and microphone, one consumer');
});

t.test('only the customer closes video alone; meanwhile the agent cannot Disconnect or Release (409)', async (t) => {
  const chat = await acceptedChat(t, api, agent1);
  const events = await api.openEvents(chat.id, chat.token);
  t.teardown(() => events.close());
  await runningVideo(chat);

  const panel = await panelHtml(chat);
  t.match(panel, /class="video-windows"[^>]*data-video-session=/, 'the Chat Panel shows the video windows');
  t.match(panel, /class="local-video"/);
  t.match(panel, /class="remote-video"/);
  t.match(panel, /<button class="disconnect"[^>]*disabled/, 'Disconnect chat is disabled');
  t.match(panel, /only the customer can close it/, 'with its reason shown');
  t.match(panel, />End session</, 'End session is offered');
  t.notMatch(panel, /video\/close|Close video/, 'the agent has no control that closes only the video');

  await expectError(t, await agentPost(agent1, `/desktop/interactions/${chat.id}/disconnect`), 409, 'Disconnect', 'video_active');
  const release = await agentAction(chat, 'release');
  t.equal(release.status, 409, 'Release call answers 409 too');
  await expectError(t, await agentPost(agent1, `/desktop/interactions/${chat.id}/video/close`), 404, 'there is no agent route that closes the video');

  const closed = await closeVideo(chat);
  t.equal(closed.status, 200);
  t.same([closed.video.state, closed.video.ended_by], ['closed', 'customer']);
  await events.waitFor(videoFrame('closed'), 'the customer page hears it closed');
  t.equal((await api.chat(chat)).state, 'active', 'the chat goes on');
  t.equal((await api.send(chat, 'still here')).status, 201, 'the customer still writes');
  t.equal((await agentPost(agent1, `/desktop/interactions/${chat.id}/messages`, { text: 'me too' })).status, 200, 'the agent still writes');
  const after = await panelHtml(chat);
  t.notMatch(after, /video-windows/, 'the video windows are gone');
  t.notMatch(after, /<button class="disconnect"[^>]*disabled/, "the agent's usual controls are back");
  t.equal((await requestVideo(chat)).status, 201, 'the customer may ask again later');
});

t.test('End session closes video, then disconnects the chat, in that order on the timeline', async (t) => {
  const chat = await acceptedChat(t, api, agent1);
  const events = await api.openEvents(chat.id, chat.token);
  t.teardown(() => events.close());
  const video = await runningVideo(chat);
  await join(customerSignal(api, chat));

  const ended = await agentAction(chat, 'end-session');
  t.equal(ended.status, 200);
  await events.waitFor((f) => (JSON.parse(f) as VideoFrame).kind === 'ended', 'the chat ends for the customer');
  const timeline = frames(events).filter((f) => f.type === 'timeline');
  const closedAt = timeline.findIndex((f) => f.kind === 'video' && f.video?.state === 'closed');
  const endedAt = timeline.findIndex((f) => f.kind === 'ended');
  t.ok(closedAt >= 0 && endedAt > closedAt, 'video closed, then chat ended');
  t.equal(timeline[closedAt]?.video?.ended_by, 'agent', 'closed by the agent');
  t.equal(timeline[closedAt]?.video?.id, video.id);
  t.equal((await api.chat(chat)).state, 'ended');
  t.same(await sfuHealthSessions(), 0, 'the room is gone');
});

t.test("a closed events socket closes the customer's transports; the session stays", async (t) => {
  const chat = await acceptedChat(t, api, agent1);
  await runningVideo(chat);
  const agentSide = agentSignal(agent1, chat);
  const customer = customerSignal(api, chat);
  const a = await join(agentSide);
  const stale = await api.openEvents(chat.id, chat.token);
  const events = await api.openEvents(chat.id, chat.token);
  const c = await join(customer);
  await consume(agentSide, a);
  await consume(customer, c);
  t.same((await roomDump(agent1, chat)).participants.customer, { transports: 2, producers: 1, consumers: 1 });

  // An older socket of the chat cut late (its network went and the page opened another): the video
  // the page runs stays.
  await stale.close();
  await sleep(250); // the server has heard of the close
  t.same((await roomDump(agent1, chat)).participants.customer, { transports: 2, producers: 1, consumers: 1 }, 'one socket of two closed: the transports stay');

  await events.close();
  const dump = await eventually('the customer side to go', async () => {
    const d = await roomDump(agent1, chat);
    return d.participants.customer.transports === 0 ? d : undefined;
  });
  t.same(dump.participants.customer, { transports: 0, producers: 0, consumers: 0 }, 'customer transports, producer and consumer closed');
  t.same(dump.participants.agent, { transports: 2, producers: 1, consumers: 0 }, "the agent's consumer of the customer's camera went with it");
  t.equal((await consume(agentSide, a)).live.length, 0, 'the agent client learns it on its next poll');
  t.equal((await customer({ op: 'consume', transportId: c.recvTransportId, rtpCapabilities: c.rtpCapabilities })).status, 404, "the customer's old transport is gone (its client makes new ones)");
  const again = await join(customer);
  t.equal((await consume(customer, again)).consumers.length, 1, 'a new page joins again');
});

t.test("a closed desktop socket closes the agent's transports; the customer's stay", async (t) => {
  const chat = await acceptedChat(t, api, agent1);
  await runningVideo(chat);
  const desktop = await openSocket(desktopSocketUrl(server.url), { headers: { cookie: agent1.cookie, origin: server.url } });
  await join(agentSignal(agent1, chat), { audio: true });
  await join(customerSignal(api, chat));
  t.same((await roomDump(agent1, chat)).participants.agent.transports, 2);
  await desktop.close();
  const dump = await eventually('the agent side to go', async () => {
    const d = await roomDump(agent1, chat);
    return d.participants.agent.transports === 0 ? d : undefined;
  });
  t.same(dump.participants.agent, { transports: 0, producers: 0, consumers: 0 }, "the agent's transports and tracks closed");
  t.same(dump.participants.customer, { transports: 2, producers: 1, consumers: 0 }, "the customer's stay");
  t.equal((await api.chat(chat)).state, 'active', 'the chat and the video session stay');
});

t.test('no leak: 50 open/close cycles, then the router dump and the worker count', async (t) => {
  const chat = await acceptedChat(t, api, agent1);
  const before = await sfuHealth(server.url);
  t.equal(before.state, 'up');

  // 50 video sessions opened, used by both sides, and closed by the customer.
  for (let i = 0; i < 50; i++) {
    await runningVideo(chat);
    const agentSide = agentSignal(agent1, chat);
    const customer = customerSignal(api, chat);
    const a = await join(agentSide, { audio: true });
    const c = await join(customer, { audio: true });
    await consume(agentSide, a);
    await consume(customer, c);
    if (i === 49) {
      const dump = await roomDump(agent1, chat);
      t.same(
        { transports: dump.transports, producers: dump.producers, consumers: dump.consumers },
        { transports: 4, producers: 4, consumers: 4 },
        'the 50th room holds exactly what this cycle made',
      );
    }
    const closed = await closeVideo(chat);
    if (closed.status !== 200) throw new Error(`close ${i}: ${closed.status}`);
  }
  const after = await sfuHealth(server.url);
  t.equal(after.sessions, 0, 'no video session left');
  t.equal(after.routers, before.routers, 'no router left on the workers');

  // 50 joins and leaves (closed tab) inside one running session.
  await runningVideo(chat);
  const agentSide = agentSignal(agent1, chat);
  const a = await join(agentSide, { audio: true });
  for (let i = 0; i < 50; i++) {
    const events = await api.openEvents(chat.id, chat.token);
    const c = await join(customerSignal(api, chat), { audio: true });
    await consume(customerSignal(api, chat), c);
    await consume(agentSide, a);
    await events.close();
    await eventually('the customer to leave', async () => ((await roomDump(agent1, chat)).participants.customer.transports === 0 ? true : undefined));
  }
  const dump = await roomDump(agent1, chat);
  t.same(
    { transports: dump.transports, producers: dump.producers, consumers: dump.consumers },
    { transports: 2, producers: 2, consumers: 0 },
    "after 50 joins and leaves the router holds only the agent's two transports and two tracks",
  );
  t.same(dump.participants.customer, { transports: 0, producers: 0, consumers: 0 });
  await closeVideo(chat);
  t.equal((await sfuHealth(server.url)).routers, before.routers, 'and its router goes with the close');
});

t.test('OpenAPI documents every video operation and status code this file saw', async (t) => {
  const { doc } = await fetchOpenApi(server.url);
  t.ok([...api.recorder.operations.keys()].some((k) => k.endsWith('/video/signal')), 'signaling was recorded');
  t.same(undocumented(doc, api.recorder), []);
});

async function sfuHealthSessions(): Promise<number | undefined> {
  return (await sfuHealth(server.url)).sessions;
}
