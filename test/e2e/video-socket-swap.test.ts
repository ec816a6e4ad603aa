// End to end in real Chromium with fake cameras, through the real SFU: the customer's page replaces its
// chat socket while video runs (the network came back, or the page returned after a while away). The
// new socket opens before the old one closes, so the server never sees the page gone: the customer's
// video transports stay as they were, and the agent's picture does not freeze while they are made again.
import t from 'tap';
import { pageMaker, videoBothWays, withBrowser, withServer } from '../helpers/fixtures.ts';
import type { VideoRoomDump } from '../../src/domain/ports.ts';

t.test("the customer's socket replaced while video runs leaves its video transports alone", async (t) => {
  const server = await withServer(t);
  const pages = pageMaker(await withBrowser(t));
  const agent = await pages.newPage();
  const customer = await pages.newPage();
  await videoBothWays(agent, customer, server.url, 'Vera Video', '+14155550178');
  const chatId = await customer.evaluate(() => (JSON.parse(localStorage.getItem('chat:roadside') ?? '{}') as { id: string }).id);
  const transports = async () => ((await (await agent.request.get(`${server.url}/desktop/interactions/${chatId}/video/dump`)).json()) as VideoRoomDump).participants.customer.transports;
  t.equal(await transports(), 2, "the customer's send and receive transports");

  const socketsOpened: string[] = [];
  customer.on('websocket', (ws) => void (new URL(ws.url()).pathname.endsWith('/events') && socketsOpened.push(ws.url())));
  await customer.evaluate(() => window.dispatchEvent(new Event('online')));
  const seen: number[] = [];
  for (let i = 0; i < 30; i++) {
    seen.push(await transports());
    await customer.waitForTimeout(100);
  }
  t.equal(socketsOpened.length, 1, 'the page opened a new socket');
  t.same([...new Set(seen)], [2], 'the transports stayed up throughout (polled every 100 ms for 3 s)');
  t.same(pages.pageErrors, []);
});

