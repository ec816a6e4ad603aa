// The agent desktop over HTTP, as its page and htmx call it: an agent's session (from login() in
// fixtures.ts), its requests with the session cookie and the CSRF header, and the live socket's URL.

/** An agent's desktop session, from login() in fixtures.ts. */
export interface Agent {
  /** Cookie header value to send on later requests, `sid=...`. */
  cookie: string;
  /** The desktop page's CSRF token (from `<meta name="csrf-token">`). */
  csrf: string;
  /** The server's URL. */
  baseUrl: string;
}

/** Every state-changing desktop request as htmx sends it: the session cookie, the CSRF header, HX-Request (unless `htmx: false`). */
export async function agentPost(agent: Agent, path: string, form: Record<string, string> | URLSearchParams = {}, opts: { csrf?: string | null; htmx?: boolean; signal?: AbortSignal } = {}): Promise<Response> {
  const headers: Record<string, string> = { cookie: agent.cookie, 'content-type': 'application/x-www-form-urlencoded' };
  if (opts.htmx !== false) headers['hx-request'] = 'true';
  const csrf = opts.csrf === undefined ? agent.csrf : opts.csrf;
  if (csrf !== null) headers['x-csrf-token'] = csrf;
  return fetch(new URL(path, agent.baseUrl), { method: 'POST', headers, body: new URLSearchParams(form).toString(), redirect: 'manual', signal: opts.signal });
}

/** A GET with the session cookie; `htmx` adds HX-Request, `headers` any other (e.g. HX-History-Restore-Request). */
export async function agentGet(agent: Agent, path: string, opts: { htmx?: boolean; headers?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = { cookie: agent.cookie, ...opts.headers };
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

/** Sid cookie + Origin matching the server, as the desktop page's own socket sends them. */
export function desktopSocketUrl(baseUrl: string): string {
  const url = new URL('/desktop/ws', baseUrl);
  url.protocol = 'ws:';
  return url.toString();
}
