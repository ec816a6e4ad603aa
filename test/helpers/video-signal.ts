// Video signaling as both participants' browsers do it (JSON over HTTP), with synthetic RTP parameters
// (mediasoup accepts producers and consumers on transports no browser ever connected), and the room's
// counts as the SFU itself reports them, in the product's own types.
import type { VideoRoomDump } from '../../src/domain/ports.ts';
import type { sfuHealth as productSfuHealth } from '../../src/sfu/index.ts';
import type { ApiClient, ChatHandle } from './api-client.ts';
import type { Agent } from './desktop-client.ts';

export interface SignalAnswer {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string } };
}

export type Signal = (request: Record<string, unknown>) => Promise<SignalAnswer>;

export function customerSignal(api: ApiClient, chat: ChatHandle, token = chat.token): Signal {
  return async (request) => {
    const res = await api.request('POST', `/api/v1/chats/${chat.id}/video/signal`, { token, json: request });
    return { status: res.status, body: (await res.json()) as SignalAnswer['body'] };
  };
}

export function agentSignal(agent: Agent, chat: ChatHandle, opts: { csrf?: string } = {}): Signal {
  return async (request) => {
    const res = await fetch(new URL(`/desktop/interactions/${chat.id}/video/signal`, agent.baseUrl), {
      method: 'POST',
      headers: { cookie: agent.cookie, 'x-csrf-token': opts.csrf ?? agent.csrf, 'content-type': 'application/json' },
      body: JSON.stringify(request),
    });
    return { status: res.status, body: (await res.json()) as SignalAnswer['body'] };
  };
}

/** Fails loudly unless the signal answers 200; returns the answer's body. */
export async function ok(signal: Signal, request: Record<string, unknown>): Promise<Record<string, unknown>> {
  const answer = await signal(request);
  if (answer.status !== 200) throw new Error(`${String(request.op)}: expected 200, got ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

let ssrc = 10_000;

/** What a browser sends for a VP8 camera or an Opus microphone. */
export function rtpParameters(kind: 'audio' | 'video') {
  ssrc += 1;
  const codec =
    kind === 'video'
      ? { mimeType: 'video/VP8', payloadType: 101, clockRate: 90000, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }] }
      : { mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2, parameters: { useinbandfec: 1 } };
  return { codecs: [codec], headerExtensions: [], encodings: [{ ssrc }], rtcp: { cname: `test-${ssrc}`, reducedSize: true } };
}

export interface Joined {
  sendTransportId: string;
  recvTransportId: string;
  producerIds: string[];
  rtpCapabilities: Record<string, unknown>;
  withAudio: boolean;
}

/** A participant joins as the video client does: capabilities, a send and a receive transport, camera (and microphone). */
export async function join(signal: Signal, opts: { audio?: boolean } = {}): Promise<Joined> {
  const caps = await ok(signal, { op: 'capabilities' });
  const send = await ok(signal, { op: 'create_transport' });
  const recv = await ok(signal, { op: 'create_transport' });
  const fingerprint = { algorithm: 'sha-256', value: Array.from({ length: 32 }, () => 'AB').join(':') };
  await ok(signal, { op: 'connect_transport', transportId: send.id, dtlsParameters: { role: 'client', fingerprints: [fingerprint] } });
  const kinds: ('audio' | 'video')[] = opts.audio ? ['video', 'audio'] : ['video'];
  const producerIds: string[] = [];
  for (const kind of kinds) producerIds.push(String((await ok(signal, { op: 'produce', transportId: send.id, kind, rtpParameters: rtpParameters(kind) })).id));
  return {
    sendTransportId: String(send.id),
    recvTransportId: String(recv.id),
    producerIds,
    rtpCapabilities: caps.routerRtpCapabilities as Record<string, unknown>,
    withAudio: caps.withAudio as boolean,
  };
}

export interface ConsumeAnswer {
  consumers: { id: string; producerId: string; kind: string }[];
  live: string[];
  withAudio: boolean;
}

/** One poll of the video client: consume what is new, resume it. */
export async function consume(signal: Signal, joined: Joined): Promise<ConsumeAnswer> {
  const answer = (await ok(signal, { op: 'consume', transportId: joined.recvTransportId, rtpCapabilities: joined.rtpCapabilities })) as unknown as ConsumeAnswer;
  for (const c of answer.consumers) await ok(signal, { op: 'resume', consumerId: c.id });
  return answer;
}

/** The room of the chat's running video, as the SFU's router and transports report it. */
export async function roomDump(agent: Agent, chat: ChatHandle): Promise<VideoRoomDump> {
  const res = await fetch(new URL(`/desktop/interactions/${chat.id}/video/dump`, agent.baseUrl), { headers: { cookie: agent.cookie } });
  const body = (await res.json()) as VideoRoomDump;
  if (res.status !== 200) throw new Error(`video dump: expected 200, got ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** The 'sfu' part of /healthz, as the server builds it. */
export type SfuHealthJson = ReturnType<typeof productSfuHealth>;

export async function sfuHealth(baseUrl: string): Promise<SfuHealthJson> {
  const res = await fetch(new URL('/healthz', baseUrl));
  return ((await res.json()) as { sfu: SfuHealthJson }).sfu;
}
