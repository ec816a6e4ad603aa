// The desktop asks for the delivery status of SMS replies while one is pending. A chat the server no
// longer opens for the agent (here: transferred to Agent Two) answers 403: the page stops asking,
// however many live frames arrive afterwards (each used to restart the polling from its first delay).
import t from 'tap';
import { agentPost, setPresence } from '../helpers/desktop-client.ts';
import { sleep } from '../helpers/eventually.ts';
import { acceptedChat, logInPage, pageMaker, withBrowser, withDesk } from '../helpers/fixtures.ts';

t.test("a pending SMS status of a chat that is no longer the agent's is asked for once, then never again", async (t) => {
  const { server, api, agent1, agent2 } = await withDesk(t);
  const chat = await acceptedChat(t, api, agent1);
  await setPresence(agent2, 'ready');
  t.teardown(() => setPresence(agent2, 'not_ready'));
  t.equal((await agentPost(agent1, `/desktop/interactions/${chat.id}/transfer`, { to: 'agent:agent2' })).status, 200);
  t.equal((await agentPost(agent2, `/desktop/interactions/${chat.id}/accept-transfer`)).status, 200, 'Agent Two has the chat');

  const pages = pageMaker(await withBrowser(t));
  const page = await pages.newPage();
  await logInPage(page, server.url);
  await page.locator('#connection[data-state="open"]').waitFor();
  let asked = 0;
  page.on('request', (req) => {
    if (req.method() === 'GET' && new URL(req.url()).pathname === `/desktop/interactions/${chat.id}`) asked++;
  });
  // The page as it was while the chat was Agent One's: a reply to it still awaiting its SMS status.
  await page.evaluate((id) => {
    const panel = document.createElement('section');
    panel.dataset.interaction = id;
    panel.innerHTML = '<ol class="messages"><li><span class="sms-status" id="sms-status-e1" data-status="sent" data-final="false">Sent</span></li></ol>';
    document.getElementById('workspace')?.append(panel);
  }, chat.id);

  const refused = page.waitForResponse((res) => new URL(res.url()).pathname === `/desktop/interactions/${chat.id}`);
  // Live frames (the agent's presence, the list) run the desktop's glue, which starts the polling.
  const ready = page.getByRole('button', { name: 'Ready', exact: true });
  const notReady = page.getByRole('button', { name: 'Not Ready', exact: true });
  await ready.click();
  t.equal((await refused).status(), 403, 'asked once, and refused');
  for (let i = 0; i < 3; i++) {
    await notReady.click();
    await page.locator('.presence-not_ready').waitFor();
    await ready.click();
    await page.locator('.presence-ready').waitFor();
  }
  await notReady.click();
  await page.locator('.presence-not_ready').waitFor();
  // Long enough for the next rounds the page would have made (after 1 s, then 2 s).
  await sleep(4000);
  t.equal(asked, 1, 'never asked again');
  t.same(pages.pageErrors, [], 'no script errors');
});
