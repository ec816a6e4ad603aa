// Video across the two nodes of a cluster, in real Chromium with fake cameras, through the leader's SFU:
// the customer's page on one node, the agent desktop on the other (both ways round). The customer asks
// for video, the agent allows it; frames are decoded both ways on both pages; the room's counts, read
// through either node, show both participants; then Close video (the customer) or End session (the
// agent) closes the room: no video session, router, transport, producer or consumer left.
import { once } from 'node:events';
import t, { type Test } from 'tap';
import { WebSocket } from 'ws';
import type { BrowserContext, Page } from 'playwright-core';
import { untilRole, withCluster } from '../helpers/cluster.ts';
import { eventually } from '../helpers/eventually.ts';
import { childProcesses } from '../helpers/processes.ts';
import { logInPage, startChatPage, withBrowser } from '../helpers/fixtures.ts';
import type { TestServer } from '../helpers/server.ts';
import { sfuHealth } from '../helpers/video-signal.ts';

declare global {
  interface Window {
    videoStats?: { framesDecoded: number; framesEncoded: number };
  }
}

const framesDecoded = (page: Page) => page.evaluate(() => window.videoStats?.framesDecoded ?? 0);

/** framesDecoded is above zero, then rises again a moment later: the other side's camera keeps coming. */
async function expectFramesRising(t: Test, page: Page, who: string): Promise<void> {
  await page.waitForFunction(() => (window.videoStats?.framesDecoded ?? 0) > 10, undefined, { timeout: 45_000 }).catch(async (err: unknown) => {
    const status = await page.evaluate(() =>
      Array.from(document.querySelectorAll('.video-windows, #video'), (e) => `${(e as HTMLElement).dataset.videoState ?? ''} ${e.querySelector('.video-status')?.textContent ?? ''}`).join(' | '),
    );
    throw new Error(`${who}: no frames decoded; video status: "${status}"; stats: ${JSON.stringify(await page.evaluate(() => window.videoStats))}`, { cause: err });
  });
  const first = await framesDecoded(page);
  await page.waitForFunction((n) => (window.videoStats?.framesDecoded ?? 0) > n + 10, first, { timeout: 30_000 });
  t.ok((await framesDecoded(page)) > first, `${who} decodes frames, and more keep coming`);
}

/** Both video windows of a page play (its own camera and the other side's). */
async function bothWindowsPlay(t: Test, page: Page, who: string): Promise<void> {
  const sizes = await page.waitForFunction(
    () => {
      const size = (selector: string) => (document.querySelector(selector) as HTMLVideoElement | null)?.videoWidth ?? 0;
      const [local, remote] = [size('video.local-video'), size('video.remote-video')];
      return local > 0 && remote > 0 ? { local, remote } : null;
    },
    undefined,
    { timeout: 30_000 },
  );
  t.ok(await sizes.jsonValue(), `the ${who} page plays both windows`);
}

/** GET the room dump of the chat's video through `node`, with the agent's session cookie (sessions are shared). */
async function dumpThrough(node: TestServer, cookie: string, chatId: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${node.url}/desktop/interactions/${chatId}/video/dump`, { headers: { cookie }, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const sidCookie = async (context: BrowserContext) => `sid=${(await context.cookies()).find((c) => c.name === 'sid')!.value}`;

async function videoAcross(t: Test, arrangement: { customerOn: 'follower' | 'leader'; closedBy: 'customer' | 'agent' }): Promise<void> {
  const cluster = await withCluster(t);
  const leader = await cluster.startNode('node-a');
  await untilRole(leader, 'leader');
  const follower = await cluster.startNode('node-b');
  await untilRole(follower, 'follower');
  const [customerNode, agentNode] = arrangement.customerOn === 'follower' ? [follower, leader] : [leader, follower];
  const routersBefore = (await sfuHealth(leader.url)).routers;

  const browser = await withBrowser(t);
  const customerContext = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const agentContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const customer = await customerContext.newPage();
  const agent = await agentContext.newPage();
  const pageErrors: string[] = [];
  const consoleLines: string[] = [];
  for (const [who, page] of [['customer', customer], ['agent', agent]] as const) {
    page.on('pageerror', (err) => pageErrors.push(`${who}: ${err.message}`));
    page.on('console', (msg) => consoleLines.push(`${who} ${msg.type()}: ${msg.text()}`));
  }
  t.teardown(() => {
    if (t.passing()) return;
    t.comment(`browser console:\n${consoleLines.join('\n')}`);
    t.comment(`leader log (tail):\n${leader.logs().slice(-6000)}`);
    t.comment(`follower log (tail):\n${follower.logs().slice(-6000)}`);
  });
  agent.on('dialog', (dialog) => void dialog.accept()); // End session asks to confirm

  await logInPage(agent, agentNode.url);
  await agent.waitForURL(`${agentNode.url}/desktop`);
  await agent.getByRole('button', { name: 'Ready', exact: true }).click();
  await agent.locator('.presence-ready').waitFor();
  await startChatPage(customer, customerNode.url, 'Vera Across', '+14155550177');
  await agent.getByRole('button', { name: 'Accept' }).click();
  const panel = agent.locator('section.interaction');
  await panel.waitFor();
  await customer.getByText(/joined/).waitFor();
  const chatId = (await panel.locator('.interaction-status').getAttribute('id'))!.replace(/^status-/, '');

  // The customer asks, the agent allows: frames both ways, both windows playing on both pages.
  await customer.getByRole('button', { name: 'Request video' }).click();
  await customer.getByText(/Video requested/).waitFor();
  await agent.getByRole('button', { name: 'Allow' }).click();
  await agent.locator('.video-windows').waitFor();
  await customer.locator('#video').waitFor();
  await expectFramesRising(t, agent, `the agent (on the ${arrangement.customerOn === 'follower' ? 'leader' : 'follower'})`);
  await expectFramesRising(t, customer, `the customer (on the ${arrangement.customerOn})`);
  await bothWindowsPlay(t, agent, 'agent');
  await bothWindowsPlay(t, customer, 'customer');

  // The room, as the leader's SFU reports it, read through either node: both participants in it.
  const cookie = await sidCookie(agentContext);
  for (const [name, node] of [['leader', leader], ['follower', follower]] as const) {
    const dump = await dumpThrough(node, cookie, chatId);
    t.equal(dump.status, 200, `the room dump answers through the ${name}`);
    const participants = dump.body.participants as Record<'agent' | 'customer', { transports: number; producers: number }>;
    t.equal(participants.agent.transports, 2, `through the ${name}: the agent's send and receive transports`);
    t.equal(participants.customer.transports, 2, `through the ${name}: the customer's send and receive transports`);
    t.ok(participants.agent.producers >= 1 && participants.customer.producers >= 1, `through the ${name}: a camera on each side`);
  }
  // Each side's page also opened on the other node, then gone from there (a phone back from the
  // background reconnects wherever the load balancer sends it, before its old socket is cut; the
  // agent's second tab): the page still on its first node keeps its video.
  const otherOf = (node: TestServer) => (node === leader ? follower : leader);
  const token = await customer.evaluate(() => (JSON.parse(localStorage.getItem('chat:roadside') ?? '{}') as { token: string }).token);
  const ws = (node: TestServer) => node.url.replace('http', 'ws');
  for (const [who, url, headers] of [
    ['customer', `${ws(otherOf(customerNode))}/api/v1/chats/${chatId}/events?token=${encodeURIComponent(token)}`, {}],
    ['agent', `${ws(otherOf(agentNode))}/desktop/ws`, { cookie, origin: otherOf(agentNode).url }],
  ] as const) {
    const elsewhere = new WebSocket(url, { headers });
    await once(elsewhere, 'open');
    elsewhere.close();
    await once(elsewhere, 'close');
    await customer.waitForTimeout(1500); // a leave is forwarded to the leader, as the page's own would be
    const participants = (await dumpThrough(leader, cookie, chatId)).body.participants as Record<'agent' | 'customer', { transports: number }>;
    t.equal(participants[who].transports, 2, `the ${who}'s page on the other node gone: its transports on the first node stay`);
  }
  await expectFramesRising(t, agent, 'the agent, after');
  await expectFramesRising(t, customer, 'the customer, after');
  t.equal((await sfuHealth(leader.url)).sessions, 1, "the leader's SFU holds the one room");
  t.match(await sfuHealth(follower.url), { state: 'standby' }, 'the follower runs no SFU of its own: its video is on the leader');
  t.ok((await childProcesses(leader.pid, 'mediasoup')).length > 0, 'the leader runs mediasoup workers');
  t.same(await childProcesses(follower.pid, 'mediasoup'), [], 'no mediasoup worker process under the follower');

  // Closed by the customer (Close video; the chat goes on) or by the agent (End session; all ends).
  if (arrangement.closedBy === 'customer') {
    await customer.getByRole('button', { name: 'Close video' }).click();
    await agent.locator('.video-windows').waitFor({ state: 'detached', timeout: 20_000 });
    await customer.locator('#video').waitFor({ state: 'hidden', timeout: 20_000 });
    t.pass('Close video closed the windows on both pages');
    await agent.getByLabel('Message').fill('Video closed, chat still here.');
    await agent.getByRole('button', { name: 'Send' }).click();
    await customer.getByText('Video closed, chat still here.').waitFor();
    t.pass('the chat goes on across the nodes');
  } else {
    await agent.getByRole('button', { name: 'End session' }).click();
    await panel.locator('.state-ended').waitFor({ timeout: 20_000 });
    t.equal(await agent.locator('.video-windows').count(), 0, 'the agent page shows the video closed');
    await customer.getByText('Chat ended').first().waitFor({ timeout: 20_000 });
    await customer.locator('#video').waitFor({ state: 'hidden' });
    t.pass('End session closed the video and ended the chat on both pages');
  }
  const cameraOff = await customer.evaluate(() => (document.getElementById('local-video') as HTMLVideoElement).srcObject === null);
  t.ok(cameraOff, "the customer's camera is released");

  // The room is gone: no session or router on the leader's SFU, and no running video to dump through either node.
  const health = await eventually('the room to close on the leader', async () => {
    const sfu = await sfuHealth(leader.url);
    return sfu.sessions === 0 && sfu.routers === routersBefore ? sfu : undefined;
  }, 20_000);
  t.equal(health.sessions, 0, 'no video session left on the SFU');
  t.equal(health.routers, routersBefore, 'no router left on its workers (so no transport, producer or consumer)');
  for (const [name, node] of [['leader', leader], ['follower', follower]] as const) {
    const dump = await dumpThrough(node, cookie, chatId);
    t.equal(dump.status, 409, `through the ${name}: no running video to dump (${JSON.stringify(dump.body)})`);
  }
  t.same(pageErrors, [], 'no script errors on either page');
}

t.test('customer on the follower, agent on the leader; the customer closes the video', (t) => videoAcross(t, { customerOn: 'follower', closedBy: 'customer' }));

t.test('customer on the leader, agent on the follower; the agent ends the session', (t) => videoAcross(t, { customerOn: 'leader', closedBy: 'agent' }));
