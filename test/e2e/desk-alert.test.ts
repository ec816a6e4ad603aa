// A desktop action the server refuses shows the server's own message in the desktop's alert, as text.
// The case: a stale tab of the agent (its live socket silenced, so it never hears that the chat ended)
// tries to disconnect a chat the agent already ended elsewhere.
import t from 'tap';
import { agentPost } from '../helpers/desktop-client.ts';
import { acceptedChat, logInPage, withBrowser, withDesk } from '../helpers/fixtures.ts';

t.test('a refused desktop action shows why, in the alert, and changes nothing', async (t) => {
  const { server, api, agent1 } = await withDesk(t);
  const chat = await acceptedChat(t, api, agent1);

  const browser = await withBrowser(t);
  const page = await (await browser.newContext()).newPage();
  await page.routeWebSocket(/\/desktop\/ws$/, () => {}); // connects to nothing: no pushed update arrives
  await logInPage(page, server.url);
  await page.waitForURL(`${server.url}/desktop`);
  await page.goto(`${server.url}/desktop/interactions/${chat.id}`);
  const disconnect = page.getByRole('button', { name: 'Disconnect chat' });
  await disconnect.waitFor();
  const alert = page.locator('#desk-alert');
  t.ok(await alert.isHidden(), 'no alert before anything is refused');

  // Another tab of the same agent ends the chat (here straight over HTTP).
  const ended = await agentPost(agent1, `/desktop/interactions/${chat.id}/disconnect`);
  t.equal(ended.status, 200, 'the chat is ended elsewhere');
  await ended.text();

  await disconnect.click();
  const again = await agentPost(agent1, `/desktop/interactions/${chat.id}/disconnect`);
  const { error } = (await again.json()) as { error: { code: string; message: string } };
  t.equal(again.status, 409, `the server refuses a second disconnect (${error.code})`);
  await alert.filter({ hasText: error.message }).waitFor();
  t.equal(await alert.textContent(), error.message, "the alert shows the server's own message");
  t.ok(await disconnect.isVisible(), 'the stale page swapped nothing in on the refusal');
});
