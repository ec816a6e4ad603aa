// Setup shared by the integration and e2e tests: the real server and Chromium, each torn down with the
// test that made it, agents logged in (over HTTP, or in a browser page), accepted chats, and the first
// steps the agent and the customer take in a browser.
// Teardowns run in reverse order of registration (tap), so what starts later stops first.
import type { Test } from 'tap';
import type { Browser, LaunchOptions, Page } from 'playwright-core';
import { ApiClient, type ChatHandle } from './api-client.ts';
import { launchBrowser } from './browser.ts';
import { agentPost, setPresence, type Agent } from './desktop-client.ts';
import { findInputValue, findMetaContent } from './desktop-html.ts';
import { printLogIfFailed, removeDir, startServer, type StartServerOptions, type TestServer } from './server.ts';

export type Teardown = Pick<Test, 'teardown' | 'passing'>;

/** The real server; stopped and its data folder removed when `t` ends (a data folder given in `opts` too). */
export async function withServer(t: Teardown, opts: StartServerOptions = {}): Promise<TestServer> {
  const server = await startServer(opts);
  t.teardown(async () => {
    printLogIfFailed(t, server);
    await server.stop();
    await removeDir(server.dataDir);
  });
  return server;
}

/** Chromium, closed when `t` ends. */
export async function withBrowser(t: Teardown, options?: LaunchOptions): Promise<Browser> {
  const browser = await launchBrowser(options);
  t.teardown(() => browser.close());
  return browser;
}

/** The login page's form, ready to send as a browser sends it (with its CSRF token); `headers` go with the POST. */
export async function openLoginForm(server: Pick<TestServer, 'url'>): Promise<(username: string, password: string, headers?: Record<string, string>) => Promise<Response>> {
  const page = await fetch(`${server.url}/login`);
  const pageHtml = await page.text();
  if (page.status !== 200) throw new Error(`GET /login: expected 200, got ${page.status}: ${excerpt(pageHtml)}`);
  const csrfCookie = findCookie(page.headers, 'csrf');
  if (csrfCookie === undefined) throw new Error('GET /login: no csrf cookie in set-cookie');
  const formToken = findInputValue(pageHtml, '_csrf');
  if (formToken === undefined) throw new Error(`GET /login: no hidden input name="_csrf": ${excerpt(pageHtml)}`);
  return (username, password, headers = {}) =>
    fetch(`${server.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded', cookie: [`csrf=${csrfCookie}`, headers.cookie].filter(Boolean).join('; ') },
      body: new URLSearchParams({ username, password, _csrf: formToken }).toString(),
    });
}

/** The login form, opened and sent. */
export async function submitLogin(server: Pick<TestServer, 'url'>, username: string, password: string, headers: Record<string, string> = {}): Promise<Response> {
  return (await openLoginForm(server))(username, password, headers);
}

/** An agent's desktop session, over HTTP as the login form does it: its cookie and CSRF token. */
export async function login(server: Pick<TestServer, 'url'>, username: string, password = 'demo'): Promise<Agent> {
  const posted = await submitLogin(server, username, password);
  const postedBody = await posted.text();
  const location = posted.headers.get('location');
  if (posted.status !== 303 || location === null || new URL(location, server.url).pathname !== '/desktop') {
    throw new Error(
      `POST /login as ${username}: expected 303 to /desktop, got ${posted.status} location=${location}: ${excerpt(postedBody)}`,
    );
  }
  const sid = findCookie(posted.headers, 'sid');
  if (sid === undefined) throw new Error(`POST /login as ${username}: no sid cookie in set-cookie`);
  const cookie = `sid=${sid}`;

  const desktop = await fetch(`${server.url}/desktop`, { headers: { cookie }, redirect: 'manual' });
  const desktopHtml = await desktop.text();
  if (desktop.status !== 200) throw new Error(`GET /desktop: expected 200, got ${desktop.status}: ${excerpt(desktopHtml)}`);
  const csrf = findMetaContent(desktopHtml, 'csrf-token');
  if (csrf === undefined) throw new Error(`GET /desktop: no <meta name="csrf-token">: ${excerpt(desktopHtml)}`);
  return { cookie, csrf, baseUrl: server.url };
}

/** The server, a mobile API client for it, and agent1 and agent2 logged in. */
export async function withDesk(t: Teardown, opts: StartServerOptions = {}): Promise<{ server: TestServer; api: ApiClient; agent1: Agent; agent2: Agent }> {
  const server = await withServer(t, opts);
  const api = new ApiClient(server.url);
  const agent1 = await login(server, 'agent1');
  const agent2 = await login(server, 'agent2');
  return { server, api, agent1, agent2 };
}

/** Ends the chat as the customer when `t` ends, whatever happened (409 if already ended). */
export function endChatAtTeardown(t: Teardown, api: ApiClient, chat: ChatHandle): void {
  t.teardown(async () => void (await (await api.end(chat)).text()));
}

/** The agent goes Ready and a new chat is created (ended as the customer when `t` ends). */
export async function chatWithReadyAgent(t: Teardown, api: ApiClient, agent: Agent, body: Record<string, unknown> = {}): Promise<ChatHandle> {
  await setPresence(agent, 'ready');
  const chat = await api.createChat(body);
  endChatAtTeardown(t, api, chat);
  return chat;
}

/** The agent accepts the chat offered to it (200 or it throws) and is Not Ready again, so it gets no other offer. */
export async function acceptThenNotReady(agent: Agent, chat: Pick<ChatHandle, 'id'>): Promise<void> {
  const res = await agentPost(agent, `/desktop/interactions/${chat.id}/accept`);
  if (res.status !== 200) throw new Error(`accept: expected 200, got ${res.status}: ${await res.text()}`);
  await res.text();
  await setPresence(agent, 'not_ready');
}

/** A chat the agent accepted (it is Not Ready again afterwards), ended as the customer when `t` ends. */
export async function acceptedChat(t: Teardown, api: ApiClient, agent: Agent, body: Record<string, unknown> = {}): Promise<ChatHandle> {
  const chat = await chatWithReadyAgent(t, api, agent, body);
  await acceptThenNotReady(agent, chat);
  return chat;
}

/** Pages in their own browser contexts (separate cookies: one person each), and every page error they raise. */
export function pageMaker(browser: Browser): { newPage(): Promise<Page>; pageErrors: string[] } {
  const pageErrors: string[] = [];
  return {
    pageErrors,
    async newPage() {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
      page.on('pageerror', (err) => pageErrors.push(err.message));
      return page;
    },
  };
}

/** In the browser: the login form, filled in and sent (the desktop opens). */
export async function logInPage(page: Page, baseUrl: string, username = 'agent1', password = 'demo'): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** In the browser: the desktop logged in and Ready, waiting for offers. */
export async function readyDesktop(page: Page, baseUrl: string, username = 'agent1'): Promise<void> {
  await logInPage(page, baseUrl, username);
  await page.getByRole('button', { name: 'Ready', exact: true }).click();
  await page.locator('.presence-ready').waitFor();
}

/** In the browser: Accept on the chat offered, until its panel is in place and active. */
export async function acceptOffered(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Accept' }).click();
  await page.locator('section.interaction .state-active').waitFor();
}

/** In the browser: the customer's page of the roadside service, starting a chat. */
export async function startChatPage(page: Page, baseUrl: string, name: string, phone: string): Promise<void> {
  await page.goto(`${baseUrl}/m/roadside`);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Phone').fill(phone);
  await page.getByRole('button', { name: 'Start chat' }).click();
}

/** In the browser: the agent Ready, the customer's chat accepted, video asked for and allowed, and the
 * other side's frames decoding on both pages (the video client's window.videoStats). */
export async function videoBothWays(agent: Page, customer: Page, baseUrl: string, name: string, phone: string): Promise<void> {
  await readyDesktop(agent, baseUrl);
  await startChatPage(customer, baseUrl, name, phone);
  await agent.getByRole('button', { name: 'Accept' }).click();
  await customer.getByText(/joined/).waitFor();
  await customer.getByRole('button', { name: 'Request video' }).click();
  await agent.getByRole('button', { name: 'Allow' }).click();
  for (const page of [agent, customer]) {
    await page.waitForFunction(() => ((window as Window & { videoStats?: { framesDecoded: number } }).videoStats?.framesDecoded ?? 0) > 10, undefined, { timeout: 30_000 });
  }
}

export function findCookie(headers: Headers, name: string): string | undefined {
  for (const header of headers.getSetCookie()) {
    const pair = header.split(';', 1)[0] ?? '';
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return undefined;
}

function excerpt(text: string): string {
  return text.length > 500 ? `${text.slice(0, 500)}...` : text;
}
