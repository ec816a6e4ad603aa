// A typed view of the part of ari-client (2.2.0, untyped) that the controller uses.
import { sendCallRequestsDirect } from './call-requests.ts';
import { AriHttpError } from './errors.ts';

export interface AriChannel {
  id: string;
  name: string;
  state: string;
  caller: { name: string; number: string };
  connected?: { name: string; number: string };
  dialplan?: { context: string; exten: string };
  creationtime?: string;
}

export interface AriBridge {
  id: string;
  name: string;
  bridge_type: string;
  channels: string[];
}

// state: queued | recording | paused | done | failed | canceled
export interface AriLiveRecording {
  name: string;
  format: string;
  state: string;
  cause?: string;
  duration?: number;
}

export interface AriEndpoint {
  technology: string;
  resource: string;
  state: string; // online | offline | unknown
  channel_ids: string[];
}

export interface AriEvent {
  type: string;
  application?: string;
  args?: string[];
  cause?: number;
  cause_txt?: string;
  channel?: AriChannel;
  endpoint?: AriEndpoint;
  // TextMessageReceived: From and To as Asterisk printed them, the body, and the request's headers.
  message?: { from: string; to: string; body?: string; variables?: Record<string, string> };
  // RecordingStarted, RecordingFinished, RecordingFailed; target_uri is "bridge:{id}" for a bridge's.
  recording?: AriLiveRecording & { target_uri?: string };
  timestamp?: string;
}

export interface OriginateParams {
  endpoint: string;
  app: string;
  appArgs?: string;
  channelId?: string;
  callerId?: string;
  timeout?: number;
  variables?: Record<string, string>;
}

// Seen from the snooped channel: 'in' is what it sends (its party's voice), 'out' what it is sent.
export type SnoopDirection = 'none' | 'in' | 'out' | 'both';

export interface Ari {
  on(event: string, handler: (event: AriEvent, resource?: unknown) => void): void;
  removeAllListeners(event?: string): void;
  start(app: string | string[]): Promise<void>;
  stop(): void;
  channels: {
    originate(p: OriginateParams): Promise<AriChannel>;
    hangup(p: { channelId: string; reason?: string }): Promise<void>;
    list(): Promise<AriChannel[]>;
    get(p: { channelId: string }): Promise<AriChannel>;
    getChannelVar(p: { channelId: string; variable: string }): Promise<{ value: string }>;
    startMoh(p: { channelId: string; mohClass?: string }): Promise<void>;
    stopMoh(p: { channelId: string }): Promise<void>;
    mute(p: { channelId: string; direction: 'in' | 'out' | 'both' }): Promise<void>;
    unmute(p: { channelId: string; direction: 'in' | 'out' | 'both' }): Promise<void>;
    // POST /channels/{channelId}/snoop/{snoopId}: a channel in `app` that hears (spy) and speaks into (whisper) channelId.
    snoopChannelWithId(p: { channelId: string; snoopId: string; app: string; appArgs?: string; spy?: SnoopDirection; whisper?: SnoopDirection }): Promise<AriChannel>;
  };
  bridges: {
    create(p: { type: string; name?: string; bridgeId?: string }): Promise<AriBridge>;
    addChannel(p: { bridgeId: string; channel: string | string[] }): Promise<void>;
    removeChannel(p: { bridgeId: string; channel: string | string[] }): Promise<void>;
    destroy(p: { bridgeId: string }): Promise<void>;
    // Music on hold played into the bridge: every channel in it hears it, and a recording of it holds it.
    startMoh(p: { bridgeId: string; mohClass?: string }): Promise<void>;
    stopMoh(p: { bridgeId: string }): Promise<void>;
    list(): Promise<AriBridge[]>;
    record(p: { bridgeId: string; name: string; format: string; ifExists?: 'fail' | 'overwrite' | 'append'; beep?: boolean; terminateOn?: string; maxDurationSeconds?: number }): Promise<AriLiveRecording>;
  };
  recordings: {
    getLive(p: { recordingName: string }): Promise<AriLiveRecording>;
    stop(p: { recordingName: string }): Promise<void>;
    mute(p: { recordingName: string }): Promise<void>;
    unmute(p: { recordingName: string }): Promise<void>;
    deleteStored(p: { recordingName: string }): Promise<void>;
    getStored(p: { recordingName: string }): Promise<{ name: string; format: string }>;
    // Every file in Asterisk's recording spool, whoever made it.
    listStored(): Promise<Array<{ name: string; format: string }>>;
  };
  endpoints: {
    listByTech(p: { tech: string }): Promise<AriEndpoint[]>;
    subscribe?: never;
    // PUT /endpoints/sendMessage. Send texts with sendText() below: see there why.
    sendMessage(p: { to: string; from: string; variables: { variables: Record<string, string>; body: string } }): Promise<void>;
  };
  applications: {
    get(p: { applicationName: string }): Promise<{ name: string; endpoint_ids: string[] }>;
    subscribe(p: { applicationName: string; eventSource: string | string[] }): Promise<unknown>;
    unsubscribe(p: { applicationName: string; eventSource: string | string[] }): Promise<unknown>;
    // PUT /applications/{name}/eventFilter: only the event types listed are sent to the app.
    filter(p: { applicationName: string; filter: { allowed: Array<{ type: string }> } }): Promise<unknown>;
  };
  asterisk: {
    getInfo(): Promise<unknown>;
    getObject(p: { configClass: string; objectType: string; id: string }): Promise<Array<{ attribute: string; value: string }>>;
    updateObject(p: { configClass: string; objectType: string; id: string; fields: { fields: Array<{ attribute: string; value: string }> } }): Promise<unknown>;
    deleteObject(p: { configClass: string; objectType: string; id: string }): Promise<unknown>;
  };
}

// Sends a text (an out-of-call message, SIP MESSAGE for pjsip: destinations) through ARI. ari-client
// takes an option named `body` for the HTTP request body, which hides the operation's own `body`
// parameter (the text); ARI also reads its parameters from the JSON request body, so the text goes
// there, next to `variables`.
export function sendText(ari: Ari, p: { to: string; from: string; body: string; variables?: Record<string, string> }): Promise<void> {
  return ari.endpoints.sendMessage({ to: p.to, from: p.from, variables: { variables: p.variables ?? {}, body: p.body } });
}

// GET /recordings/stored/{name}/file: the file's bytes. Not through ari-client, whose Swagger client
// reads every answer as text (a WAV would come back mangled); the same URL and credentials it uses.
export async function storedRecordingFile(ari: Ari, name: string): Promise<{ bytes: Buffer; contentType: string }> {
  const c = (ari as unknown as { _connection: { protocol: string; host: string; user: string; pass: string } })._connection;
  const res = await fetch(`${c.protocol}//${c.host}/ari/recordings/stored/${encodeURIComponent(name)}/file`, {
    headers: { authorization: 'Basic ' + Buffer.from(`${c.user}:${c.pass}`).toString('base64') },
  });
  if (!res.ok) throw new AriHttpError(res.status, (await res.text()) || `HTTP ${res.status}`);
  return { bytes: Buffer.from(await res.arrayBuffer()), contentType: res.headers.get('content-type') ?? 'application/octet-stream' };
}

// ari-client (and the Swagger client it builds on) adds ~35 MB to the process: it is loaded at the
// first connect, so a server without telephony never carries it.
export async function connectAri(url: string, user: string, password: string): Promise<Ari> {
  const { default: ariClient } = await import('ari-client');
  const client = ariClient as unknown as { connect(u: string, n: string, p: string): Promise<Ari> };
  const ari = await withoutSwaggerNotice(() => client.connect(url, user, password));
  keepHttpStatus(ari);
  sendCallRequestsDirect(ari, url, user, password);
  return ari;
}

// ari-client makes, for every event, a resource object for each channel, bridge or endpoint in it, with
// every operation of that resource attached (about forty closures for a channel), found through the
// event's Swagger model. The controller reads events as plain JSON: with models that name no resource
// property, the client emits the parsed event alone (handlers get no second argument).
export function plainEvents(ari: Ari): void {
  const events = (ari as unknown as { _swagger?: { apis?: { events?: { models?: Record<string, unknown> } } } })._swagger?.apis?.events;
  if (!events?.models) throw new Error('ari-client changed: no Swagger event models to make plain');
  events.models = Object.fromEntries(Object.keys(events.models).map((type) => [type, { properties: [] }]));
}

// What ari-client hands each operation of its Swagger client: the response of a refusal carries the status.
type SwaggerOperation = (args: unknown, ok: (response: unknown) => void, fail: (response: unknown) => void) => void;
interface SwaggerApis {
  _swagger?: { apis?: Record<string, { operations?: Record<string, unknown> } & Record<string, SwaggerOperation>> };
}

// ari-client turns an error response into `new Error(body)` when the response has a body, and passes
// anything else on as it is: each operation's error callback is given an AriHttpError instead, which
// keeps the body as its message and adds the status (see errors.ts).
function keepHttpStatus(ari: Ari): void {
  const apis = (ari as unknown as SwaggerApis)._swagger?.apis ?? {};
  for (const resource of Object.values(apis)) {
    for (const name of Object.keys(resource.operations ?? {})) {
      const operation = resource[name];
      if (typeof operation !== 'function') continue;
      resource[name] = (args, ok, fail) => operation(args, ok, (response) => fail(asHttpError(response)));
    }
  }
}

function asHttpError(response: unknown): unknown {
  const r = response as { status?: unknown; data?: unknown } | undefined;
  if (typeof r?.status !== 'number' || r.status < 100) return response;
  const body = Buffer.isBuffer(r.data) ? r.data.toString('utf8') : String(r.data ?? '');
  return new AriHttpError(r.status, body || `HTTP ${r.status}`);
}

// swagger-client prints "This API is using a deprecated version of Swagger!" (console.log of a one-item
// array) each time it reads ARI's API description, i.e. at every connect: ARI describes itself in
// Swagger 1.1 and always will. Only that notice, and only while connecting, is kept off the terminal.
const SWAGGER_NOTICE = 'This API is using a deprecated version of Swagger';
let connecting = 0;
let consoleLog: typeof console.log = console.log;

async function withoutSwaggerNotice<T>(connect: () => Promise<T>): Promise<T> {
  if (connecting++ === 0) {
    consoleLog = console.log;
    const log = consoleLog;
    console.log = (...args: unknown[]) => {
      const first: unknown = Array.isArray(args[0]) ? args[0][0] : args[0];
      if (typeof first === 'string' && first.startsWith(SWAGGER_NOTICE)) return;
      log.apply(console, args);
    };
  }
  try {
    return await connect();
  } finally {
    if (--connecting === 0) console.log = consoleLog;
  }
}
