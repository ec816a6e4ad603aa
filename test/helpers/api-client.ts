// The mobile API as the app calls it, with a recorder of which operations and status codes the tests saw
// (checked against /api/v1/openapi.json by openapi-check.ts): JSON shapes, the client, and the frames of
// the customer's events socket. The WebSocket probe itself is in socket-probe.ts.
import { HandshakeRefused, openSocket, type SocketProbe } from './socket-probe.ts';

let counter = 0;
/** A name no other test uses, so a page can be searched for it. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix} ${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

// ---- JSON shapes of the mobile API ----------------------------------------------------------------

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
  /** In GET /chats/{id} once the chat ended: whether it was rated. */
  rated?: boolean;
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
  /** Sent with every request (see `from`). */
  headers: Record<string, string> = {};

  constructor(baseUrl: string, recorder = new ApiRecorder()) {
    this.baseUrl = baseUrl;
    this.recorder = recorder;
  }

  /**
   * The same API as a customer at another address sees it (X-Forwarded-For): for a server started with
   * TRUST_PROXY=loopback, as behind a reverse proxy on its own machine. No traffic leaves loopback.
   */
  from(address: string): ApiClient {
    const client = new ApiClient(this.baseUrl, this.recorder);
    client.headers = { 'x-forwarded-for': address };
    return client;
  }

  async request(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...this.headers, ...opts.headers };
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
  async upload(chat: ChatHandle, file: { bytes: Uint8Array; type: string; name: string } | null, opts: { token?: string; clientId?: string } = {}): Promise<Response> {
    const form = new FormData();
    if (opts.clientId !== undefined) form.append('client_id', opts.clientId);
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
      const probe = await openSocket(url, { headers: this.headers });
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
