// Shared steps of the voice tests: a real Asterisk started by the server (TELEPHONY=local), the agent
// desktop in Chromium, the customer's phone as a second SIP user agent.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { agentGet, agentPost, setPresence } from './desktop-client.ts';
import { eventually } from './eventually.ts';
import { login, logInPage, withBrowser, type Teardown } from './fixtures.ts';
import { logEntries, removeDir, type TestServer } from './server.ts';
import { toneMicrophone, writeToneWav } from './tones.ts';

export const VOICE_ENV = { TELEPHONY: 'local', ASTERISK_HTTP_PORT: '0', ASTERISK_SIP_PORT: '0', OFFER_TIMEOUT_S: '120' };

// One Chromium process per party, each playing its own tone as its microphone, and a page in each.
export async function tonePages(t: Teardown, tones: number[]): Promise<Page[]> {
  const dir = await mkdtemp(join(tmpdir(), 'mcc-tones-'));
  t.teardown(() => removeDir(dir));
  const browsers = await Promise.all(tones.map(async (hz) => withBrowser(t, { args: toneMicrophone(await writeToneWav(join(dir, `${hz}.wav`), hz)) })));
  return Promise.all(browsers.map(async (browser) => (await browser.newContext()).newPage()));
}

type Stats = { packetsSent: number; packetsReceived: number } | null;
export const stats = (page: Page) => page.evaluate(() => (window as unknown as { softphone?: { stats(): Promise<Stats> } }).softphone?.stats() ?? null);

type Assert = { ok(v: unknown, m: string): void };

export async function mediaFlows(t: Assert, page: Page, who: string): Promise<void> {
  // "Connected" is the call's state; ICE and DTLS may still be finishing on a loaded machine: counting
  // starts once packets flow both ways (or, if they never do, with what there is, and fails below).
  const flowing = async () => {
    const s = await stats(page);
    return s && s.packetsSent > 0 && s.packetsReceived > 0 ? s : undefined;
  };
  const before = await eventually(`${who}: media started`, flowing, 10_000).catch(() => stats(page));
  await page.waitForTimeout(2500);
  const after = await stats(page);
  t.ok(before && after, `${who} has a call with media counters`);
  t.ok(after!.packetsSent - before!.packetsSent > 50, `${who} sends audio (${after!.packetsSent - before!.packetsSent} RTP packets in 2.5 s)`);
  t.ok(after!.packetsReceived - before!.packetsReceived > 50, `${who} receives audio (${after!.packetsReceived - before!.packetsReceived} RTP packets in 2.5 s)`);
}

// ARI of the server's own Asterisk, read from the generated configuration in its data folder.
export async function ariCredentials(server: Pick<TestServer, 'dataDir'>): Promise<{ url: string; auth: string; port: number }> {
  const etc = join(server.dataDir, 'asterisk', 'etc');
  const ari = await readFile(join(etc, 'generated_ari.conf'), 'utf8');
  const http = await readFile(join(etc, 'generated_http.conf'), 'utf8');
  const password = /password\s*=\s*(\S+)/.exec(ari)![1]!;
  const port = Number(/bindport\s*=\s*(\d+)/.exec(http)![1]!);
  return { url: `http://127.0.0.1:${port}/ari`, auth: 'Basic ' + Buffer.from(`contact-center:${password}`).toString('base64'), port };
}

export async function ariGet<T>(ari: { url: string; auth: string }, path: string): Promise<T> {
  const res = await fetch(`${ari.url}${path}`, { headers: { authorization: ari.auth } });
  if (!res.ok) throw new Error(`ARI GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

// Asterisk's SIP UDP port, as the server logs it when telephony is up.
export function sipPortOf(server: Pick<TestServer, 'logs'>): number {
  const up = logEntries(server, 'telephony up')[0];
  if (typeof up?.sipPort !== 'number') throw new Error('the server did not log its SIP port');
  return up.sipPort;
}

// A desk phone's password, made on /account as the agent would (logged in, the page's button),
// read from the one answer that shows it. A phone registered with an earlier password is dropped.
export async function deskPasswordOf(server: Pick<TestServer, 'url'>, agentId: string, password = 'demo'): Promise<string> {
  const res = await agentPost(await login(server, agentId, password), '/account/desk-password');
  const html = await res.text();
  const shown = /<code class="password">([^<]+)<\/code>/.exec(html)?.[1];
  if (res.status !== 200 || !shown) throw new Error(`POST /account/desk-password as ${agentId}: ${res.status}, no password shown`);
  return shown;
}

export async function startChat(server: Pick<TestServer, 'url'>, service: string, phone: string): Promise<{ id: string; token: string }> {
  const res = await fetch(`${server.url}/api/v1/chats`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ service, name: 'Carla Customer', phone }),
  });
  return (await res.json()) as { id: string; token: string };
}

// The customer's phone: sip.js in its own browser context, registered for the chat's number.
export async function customerPhone(page: Page, server: Pick<TestServer, 'url'>, chat: { id: string; token: string }): Promise<void> {
  await page.goto(`${server.url}/m/roadside`);
  await page.evaluate(
    async ({ chat }) => {
      const res = await fetch(`/api/v1/chats/${chat.id}/phone`, { method: 'POST', headers: { authorization: `Bearer ${chat.token}`, 'content-type': 'application/json' }, body: '{}' });
      const settings = await res.json();
      settings.path = `/sip?chat=${chat.id}&token=${encodeURIComponent(chat.token)}`;
      const m = await import('/client/softphone.js' as string);
      const w = window as unknown as { phoneState: string; calls: number };
      w.calls = 0;
      await m.startPhone({
        settings,
        autoAnswer: true,
        onState: (s: string) => (w.phoneState = s),
        onEnded: () => (w.calls += 1),
      });
    },
    { chat },
  );
  await page.waitForFunction(() => (window as unknown as { phoneState?: string }).phoneState === 'Phone ready');
}

// A chat from `number` whose customer's phone is ready on `phone`, accepted on the agent's desktop,
// and the number clicked there: the agent's phone rings first, then the customer's; both are bridged.
// Resolves once the desktop shows the call connected.
export async function callFromChat(agent: Page, phone: Page, server: Pick<TestServer, 'url'>, number: string) {
  const chat = await startChat(server, 'roadside', number);
  await customerPhone(phone, server, chat);
  await agent.getByRole('button', { name: 'Accept' }).click();
  const panel = agent.locator('section.interaction');
  await panel.waitFor();
  await agent.getByRole('button', { name: number }).click();
  await panel.locator('.call-state.call-connected').waitFor({ timeout: 20_000 });
  return { chat, panel };
}

// The agent desktop, logged in and Ready. With phone 'desk' the agent works with a SIP desk phone: they
// pick it in the desktop's Phone setting (before going Ready), and the page starts no softphone.
export async function agentDesktop(page: Page, server: Pick<TestServer, 'url'>, opts: { phone?: 'browser' | 'desk'; agent?: string } = {}): Promise<void> {
  await logInPage(page, server.url, opts.agent ?? 'agent1');
  if (opts.phone === 'desk') {
    // The desktop's script must be running before the choice is made: its change handler keeps the
    // choice and reloads. Picked earlier (a loaded machine), the choice was lost and the test waited forever.
    await page.getByLabel('Phone', { exact: true }).waitFor();
    await page.waitForLoadState('load');
    await Promise.all([page.waitForEvent('load'), page.getByLabel('Phone', { exact: true }).selectOption('desk')]);
    await page.locator('#phone-state', { hasText: 'desk phone' }).waitFor();
  }
  await page.getByRole('button', { name: 'Ready', exact: true }).click();
  if (opts.phone !== 'desk') await page.locator('#phone-state', { hasText: 'Phone ready' }).waitFor({ timeout: 20_000 });
}

// Opens an interaction's panel from the list (htmx, no page load: a call goes on) and waits until the
// new panel is in place. Controls used before that belong to the panel being replaced: a choice made
// in its Transfer to list was lost with it, and Transfer then refused the empty choice (a CI flake).
// `which`: the customer's name in the list, or the link itself when two chats share a name.
export async function openPanel(page: Page, which: string | Locator): Promise<void> {
  const link = typeof which === 'string' ? page.getByRole('link', { name: which }) : which;
  const path = (await link.getAttribute('href'))!;
  await Promise.all([page.waitForResponse((r) => r.request().method() === 'GET' && new URL(r.url()).pathname === path), link.click()]);
  await page.waitForFunction(() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling'));
}

// Clicks a desktop control that POSTs to a path ending in `action` and waits until its answer is
// swapped in. The live push of the same change usually comes first: a control clicked after seeing it
// could be replaced by the answer between the mouse's press and release, and that click is lost. An
// answer whose target the push replaced already is swapped nowhere the document hears of: after its
// body has arrived, the wait for its swap is bounded.
export async function pressAndSettle(page: Page, control: Locator, action: string): Promise<void> {
  await page.evaluate((path) => {
    const w = window as unknown as { swapped?: Promise<void> };
    w.swapped = new Promise<void>((resolve) => {
      const heard = (e: Event) => {
        const info = (e as CustomEvent<{ pathInfo?: { requestPath?: string } }>).detail?.pathInfo;
        if (!String(info?.requestPath ?? '').endsWith(path)) return;
        document.removeEventListener('htmx:afterSwap', heard);
        resolve();
      };
      document.addEventListener('htmx:afterSwap', heard);
    });
  }, action);
  const answered = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname.endsWith(action));
  await control.click();
  await (await answered).finished();
  await Promise.race([page.evaluate(() => (window as unknown as { swapped: Promise<void> }).swapped), page.waitForTimeout(2000)]);
}

// The same check for a baresip phone, with baresip's own RTP counters.
export async function sipPhoneMediaFlows(t: Assert, phone: { rtp(): Promise<{ sent: number; received: number } | null> }, who: string): Promise<void> {
  // The first packets may still be on their way when the call is reported up (a loaded machine):
  // counting starts once the phone has counters, and then must grow.
  const before = await eventually(`${who}: media counters`, () => phone.rtp().then((rtp) => rtp ?? undefined), 10_000).catch(() => null);
  await new Promise((r) => setTimeout(r, 2000));
  const after = await phone.rtp();
  t.ok(before && after, `${who} has a call with media counters`);
  if (!before || !after) return;
  t.ok(after.sent - before.sent > 50, `${who} sends audio (${after.sent - before.sent} RTP packets in 2 s)`);
  t.ok(after.received - before.received > 50, `${who} receives audio (${after.received - before.received} RTP packets in 2 s)`);
}

// An agent takes a chat and calls its customer over the desktop's HTTP requests (no browser), on
// `server`; the chat is started on `chatServer` (another node of a cluster, or the same server).
export async function callOverHttp(server: Pick<TestServer, 'url'>, agentId: string, number: string, chatServer: Pick<TestServer, 'url'> = server) {
  const agent = await login(server, agentId);
  await setPresence(agent, 'ready');
  const chat = await startChat(chatServer, 'roadside', number);
  await eventually('offered', async () => ((await agentPost(agent, `/desktop/interactions/${chat.id}/accept`)).status === 200 ? true : undefined), 10_000);
  await agentPost(agent, `/desktop/interactions/${chat.id}/call`);
  await eventually('call connected', async () => ((await (await agentGet(agent, `/desktop/interactions/${chat.id}`, { htmx: true })).text()).includes('call-connected') ? true : undefined), 20_000);
  return { agent, chat };
}

// The agent's desktop, working with a desk phone, takes a new chat of `number` and calls it; resolves
// once the call is connected, with the chat and its panel.
export async function deskCallOfNewChat(agent: Page, server: Pick<TestServer, 'url'>, number: string, chatServer: Pick<TestServer, 'url'> = server) {
  await agentDesktop(agent, server, { phone: 'desk' });
  const chat = await startChat(chatServer, 'roadside', number);
  await agent.getByRole('button', { name: 'Accept' }).click();
  const panel = agent.locator('section.interaction');
  await agent.getByRole('button', { name: number }).click();
  await panel.locator('.call-state.call-connected').waitFor({ timeout: 20_000 });
  return { chat, panel };
}
