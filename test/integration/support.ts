// Shared helpers of the integration tier: a mobile-API client that records which operations and status
// codes the tests saw (checked against /api/v1/openapi.json), the frames of the customer's events
// socket, agent-desktop actions, and small fixtures. The WebSocket probe itself is in
// test/helpers/socket-probe.ts. Not a test file itself.
import type { Test } from 'tap';
import { HandshakeRefused, openSocket, type SocketProbe } from '../helpers/socket-probe.ts';
import type { LoginResult } from '../helpers/server.ts';

// PNG for test/integration/persistence.test.ts (store branch), until it imports test/helpers/images.ts.
export { PNG } from '../helpers/images.ts';

// ---- fixtures -------------------------------------------------------------------------------------

let counter = 0;
/** A name no other test uses, so a page can be searched for it. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix} ${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

// ---- JSON shapes of the mobile API ----------------------------------------------------------------

export interface ApiError {
  error: { code: string; message: string };
}

export interface MessageJson {
  id: string;
  seq: number;
  author: 'customer' | 'agent';
  text: string | null;
  client_id: string | null;
  attachment: { id: string; content_type: string; size: number; file_name: string; url: string } | null;
  created_at: string;
}

export interface ChatJson {
  id: string;
  service: string;
  state: 'queued' | 'offered' | 'active' | 'ended';
  customer: { name: string; phone: string };
  agent: { name: string } | null;
  context: { fields: Record<string, string>; location: { lat: number; lon: number; accuracy_m?: number } | null };
}

export interface ChatHandle {
  id: string;
  token: string;
}

// ---- mobile API client with an OpenAPI recorder ---------------------------------------------------

/** Maps a concrete /api/v1 path to its OpenAPI template: /chats/abc/attachments/x -> /chats/{id}/attachments/{attachmentId}. */
export function templateOf(pathname: string): string {
  const rel = pathname.replace(/^\/api\/v1/, '');
  const parts = rel.split('/');
  for (let i = 1; i < parts.length; i++) {
    if (parts[i - 1] === 'chats') parts[i] = '{id}';
    else if (parts[i - 1] === 'attachments' && i === 4) parts[i] = '{attachmentId}';
  }
  return parts.join('/');
}

/** Remembers every (method, path template) the tests sent under /api/v1 and the statuses it answered. */
export class ApiRecorder {
  readonly operations = new Map<string, { method: string; path: string; statuses: Set<number> }>();

  record(method: string, pathname: string, status: number): void {
    const path = templateOf(pathname);
    const key = `${method.toLowerCase()} ${path}`;
    let op = this.operations.get(key);
    if (!op) this.operations.set(key, (op = { method: method.toLowerCase(), path, statuses: new Set() }));
    op.statuses.add(status);
  }
}

export interface RequestOptions {
  token?: string;
  /** Sent as JSON with Content-Type: application/json. */
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
}

export class ApiClient {
  readonly recorder: ApiRecorder;
  baseUrl: string;

  constructor(baseUrl: string, recorder = new ApiRecorder()) {
    this.baseUrl = baseUrl;
    this.recorder = recorder;
  }

  async request(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    let body = opts.body;
    if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    }
    const url = new URL(path, this.baseUrl);
    const res = await fetch(url, { method, headers, body });
    this.recorder.record(method, url.pathname, res.status);
    return res;
  }

  /** Starts a chat and fails loudly unless the answer is 201 {id, token}. */
  async createChat(body: Record<string, unknown> = {}): Promise<ChatHandle> {
    const res = await this.request('POST', '/api/v1/chats', {
      json: { service: 'roadside', name: uniqueName('Customer'), phone: '+15551234567', ...body },
    });
    const answer = (await res.json()) as ChatHandle;
    if (res.status !== 201) throw new Error(`POST /api/v1/chats: expected 201, got ${res.status} ${JSON.stringify(answer)}`);
    return answer;
  }

  async chat(chat: ChatHandle): Promise<ChatJson> {
    const res = await this.request('GET', `/api/v1/chats/${chat.id}`, { token: chat.token });
    if (res.status !== 200) throw new Error(`GET chat: expected 200, got ${res.status}`);
    return (await res.json()) as ChatJson;
  }

  async messages(chat: ChatHandle, after?: number): Promise<MessageJson[]> {
    const query = after === undefined ? '' : `?after=${after}`;
    const res = await this.request('GET', `/api/v1/chats/${chat.id}/messages${query}`, { token: chat.token });
    if (res.status !== 200) throw new Error(`GET messages: expected 200, got ${res.status}`);
    return ((await res.json()) as { messages: MessageJson[] }).messages;
  }

  async send(chat: ChatHandle, text: string, clientId?: string): Promise<Response> {
    return this.request('POST', `/api/v1/chats/${chat.id}/messages`, {
      token: chat.token,
      json: clientId === undefined ? { text } : { text, client_id: clientId },
    });
  }

  /** Sends a message and fails loudly unless it is stored (201). */
  async say(chat: ChatHandle, text: string, clientId?: string): Promise<MessageJson> {
    const res = await this.send(chat, text, clientId);
    const body = (await res.json()) as MessageJson;
    if (res.status !== 201) throw new Error(`POST message: expected 201, got ${res.status} ${JSON.stringify(body)}`);
    return body;
  }

  /** Sends a photo as multipart field `file` (or a form without it when `file` is null); `token` overrides the chat's own. */
  async upload(chat: ChatHandle, file: { bytes: Uint8Array; type: string; name: string } | null, opts: { token?: string } = {}): Promise<Response> {
    const form = new FormData();
    if (file) form.append('file', new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.name);
    else form.append('note', 'no file here');
    const token = 'token' in opts ? opts.token : chat.token;
    return this.request('POST', `/api/v1/chats/${chat.id}/attachments`, { token, body: form });
  }

  async end(chat: ChatHandle): Promise<Response> {
    return this.request('POST', `/api/v1/chats/${chat.id}/end`, { token: chat.token });
  }

  /** Customer events socket URL (ws://), with the token and `after` in the query. */
  eventsUrl(chatId: string, token: string | undefined, after?: number): string {
    const url = new URL(`/api/v1/chats/${chatId}/events`, this.baseUrl);
    url.protocol = 'ws:';
    if (token !== undefined) url.searchParams.set('token', token);
    if (after !== undefined) url.searchParams.set('after', String(after));
    return url.toString();
  }

  /** Opens the customer events socket; the handshake's status is recorded for the OpenAPI check. */
  async openEvents(chatId: string, token: string | undefined, after?: number): Promise<SocketProbe> {
    const url = this.eventsUrl(chatId, token, after);
    try {
      const probe = await openSocket(url);
      this.recorder.record('GET', new URL(url).pathname, 101);
      return probe;
    } catch (err) {
      if (err instanceof HandshakeRefused) this.recorder.record('GET', new URL(url).pathname, err.status);
      throw err;
    }
  }

  /** The status that refused the events handshake (101 if it was accepted, then closed). */
  async eventsHandshakeStatus(chatId: string, token: string | undefined): Promise<number> {
    try {
      const probe = await this.openEvents(chatId, token);
      await probe.close();
      return 101;
    } catch (err) {
      if (err instanceof HandshakeRefused) return err.status;
      throw err;
    }
  }
}

export async function errorOf(res: Response): Promise<ApiError['error'] | undefined> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as Partial<ApiError>;
    const e = body.error;
    return e && typeof e.code === 'string' && typeof e.message === 'string' && e.message.length > 0 ? e : undefined;
  } catch {
    return undefined;
  }
}

/** Asserts the status and the `{"error":{"code","message"}}` body; returns the code. */
export async function expectError(t: Test, res: Response, status: number, what: string, code?: string): Promise<string | undefined> {
  t.equal(res.status, status, `${what}: status ${status}`);
  const error = await errorOf(res);
  t.ok(error, `${what}: body is {"error":{"code","message"}}`);
  if (code !== undefined) t.equal(error?.code, code, `${what}: error code ${code}`);
  return error?.code;
}

// ---- OpenAPI ----------------------------------------------------------------------------------

interface OpenApiDoc {
  openapi?: unknown;
  paths?: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
}

export async function fetchOpenApi(baseUrl: string): Promise<{ status: number; doc: OpenApiDoc }> {
  const res = await fetch(new URL('/api/v1/openapi.json', baseUrl));
  return { status: res.status, doc: (await res.json()) as OpenApiDoc };
}

// Operations the server answers but the document does not describe: none.
export const KNOWN_UNDOCUMENTED: ReadonlySet<string> = new Set();

const normalisePath = (p: string) => p.replace(/\{[^}]+\}/g, '{}');

/** Problems with how `doc` describes the recorded operations: missing path, method or status code. */
export function undocumented(doc: OpenApiDoc, recorder: ApiRecorder, ignore: ReadonlySet<string> = new Set()): string[] {
  const problems: string[] = [];
  const paths = Object.entries(doc.paths ?? {});
  for (const [key, op] of recorder.operations) {
    if (ignore.has(key)) continue;
    const entry = paths.find(([p]) => normalisePath(p) === normalisePath(op.path));
    const operation = entry?.[1][op.method];
    if (!operation) {
      problems.push(`${op.method.toUpperCase()} ${op.path} is not documented`);
      continue;
    }
    const listed = Object.keys(operation.responses ?? {});
    for (const status of [...op.statuses].sort()) {
      const range = `${String(status)[0]}XX`;
      if (!listed.includes(String(status)) && !listed.includes(range)) {
        problems.push(`${op.method.toUpperCase()} ${op.path} answered ${status}, which is not listed (listed: ${listed.join(', ')})`);
      }
    }
  }
  return problems;
}

// ---- frames of the customer's events socket ---------------------------------------------------

export interface TimelineFrame {
  type: 'timeline';
  seq: number;
  kind: string;
  message?: MessageJson;
  agent?: { name: string | null };
  at: string;
}

export interface ChatFrame {
  type: 'chat';
  chat: ChatJson;
}

export type CustomerFrame = TimelineFrame | ChatFrame;

export const parseFrame = (frame: string) => JSON.parse(frame) as CustomerFrame;
export const timelineFrames = (frames: string[]) =>
  frames.map(parseFrame).filter((f): f is TimelineFrame => f.type === 'timeline');

// ---- agent desktop ------------------------------------------------------------------------------

export interface Agent extends LoginResult {
  baseUrl: string;
}

/** Every state-changing desktop request as htmx sends it: the session cookie, the CSRF header, HX-Request. */
export async function agentPost(agent: Agent, path: string, form: Record<string, string> = {}, opts: { csrf?: string | null } = {}): Promise<Response> {
  const headers: Record<string, string> = {
    cookie: agent.cookie,
    'content-type': 'application/x-www-form-urlencoded',
    'hx-request': 'true',
  };
  const csrf = opts.csrf === undefined ? agent.csrf : opts.csrf;
  if (csrf !== null) headers['x-csrf-token'] = csrf;
  return fetch(new URL(path, agent.baseUrl), { method: 'POST', headers, body: new URLSearchParams(form).toString(), redirect: 'manual' });
}

export async function agentGet(agent: Agent, path: string, opts: { htmx?: boolean } = {}): Promise<Response> {
  const headers: Record<string, string> = { cookie: agent.cookie };
  if (opts.htmx) headers['hx-request'] = 'true';
  return fetch(new URL(path, agent.baseUrl), { headers, redirect: 'manual' });
}

export async function desktopPage(agent: Agent): Promise<string> {
  const res = await agentGet(agent, '/desktop');
  const html = await res.text();
  if (res.status !== 200) throw new Error(`GET /desktop: expected 200, got ${res.status}: ${html.slice(0, 300)}`);
  return html;
}

export async function setPresence(agent: Agent, presence: 'ready' | 'not_ready'): Promise<void> {
  const res = await agentPost(agent, '/desktop/presence', { presence });
  if (res.status !== 200) throw new Error(`POST /desktop/presence ${presence}: expected 200, got ${res.status}: ${await res.text()}`);
  await res.text();
}

/** The agent's presence as the desktop page shows it. */
export function presenceShown(html: string): 'ready' | 'not_ready' | undefined {
  const m = /class="presence-state presence-(ready|not_ready)"/.exec(html);
  return m ? (m[1] as 'ready' | 'not_ready') : undefined;
}

/** The <li> of the interaction list that links to this interaction, if the page lists it. */
export function listItem(html: string, interactionId: string): string | undefined {
  const list = /<ul id="interaction-list"[\s\S]*?<\/ul>/.exec(html)?.[0] ?? '';
  return [...list.matchAll(/<li\b[\s\S]*?<\/li>/g)].map((m) => m[0]).find((li) => li.includes(`/desktop/interactions/${interactionId}"`));
}

/** True when the HTML has an Accept button for this interaction. */
export function hasAcceptButton(html: string, interactionId: string): boolean {
  return new RegExp(`<button[^>]*hx-post="/desktop/interactions/${interactionId}/accept"[^>]*>\\s*Accept\\s*</button>`).test(html);
}

/** Sid cookie + Origin matching the server, as the desktop page's own socket sends them. */
export function desktopSocketUrl(baseUrl: string): string {
  const url = new URL('/desktop/ws', baseUrl);
  url.protocol = 'ws:';
  return url.toString();
}
