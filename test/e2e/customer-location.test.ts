// Share location on the customer's page, in real Chromium against the real server, with the browser's
// permission prompt held open (a stand-in geolocation that answers when the test says): tapped again
// once the button comes back, the location still reaches the agent once, not once per tap.
import t from 'tap';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { pageMaker, startChatPage, withBrowser, withServer } from '../helpers/fixtures.ts';

const server = await withServer(t);
const pages = pageMaker(await withBrowser(t));

// The locations the chat's timeline holds, read from the server's database as another process would.
function locationsOf(chatId: string): { lat: number; lon: number }[] {
  const db = new DatabaseSync(join(server.dataDir, 'contact-center.sqlite'), { readOnly: true });
  try {
    const rows = db.prepare("SELECT data FROM timeline WHERE interaction_id = ? AND kind = 'context'").all(chatId) as { data: string }[];
    return rows.map((row) => JSON.parse(row.data) as { location: { lat: number; lon: number } | null }).flatMap((d) => (d.location ? [{ lat: d.location.lat, lon: d.location.lon }] : []));
  } finally {
    db.close();
  }
}

// Every getCurrentPosition waits until window.answerLocation() answers all of them, as a prompt the
// customer finally allows does.
function promptHeldOpen() {
  const waiting: PositionCallback[] = [];
  const w = window as unknown as { answerLocation(): void; locationAsks: number };
  w.locationAsks = 0;
  w.answerLocation = () => {
    const coords = { latitude: 45.4642, longitude: 9.19, accuracy: 20 } as GeolocationCoordinates;
    for (const answer of waiting.splice(0)) answer({ coords, timestamp: Date.now() } as GeolocationPosition);
  };
  Object.defineProperty(navigator, 'geolocation', {
    value: {
      getCurrentPosition(success: PositionCallback) {
        w.locationAsks += 1;
        waiting.push(success);
      },
    },
  });
}

t.test('Share location tapped again while the browser still asks sends the location once', async (t) => {
  const customer = await pages.newPage();
  await customer.clock.install();
  await customer.addInitScript(promptHeldOpen);
  const contextPosts: string[] = [];
  customer.on('request', (req) => void (req.method() === 'POST' && req.url().endsWith('/context') && contextPosts.push(req.url())));
  await startChatPage(customer, server.url, 'Luca', '+393331230000');
  await customer.getByText('Waiting for an agent').waitFor();
  const share = customer.getByRole('button', { name: 'Share location' });

  await share.click();
  await customer.getByText('Finding your location…').waitFor();
  await customer.clock.fastForward('00:31');
  await customer.getByText(/No location yet/).waitFor();
  await share.click(); // the button is back: the customer taps it again
  t.equal(await customer.evaluate(() => (window as unknown as { locationAsks: number }).locationAsks), 2, 'the browser was asked twice');

  await customer.evaluate(() => (window as unknown as { answerLocation(): void }).answerLocation());
  await customer.getByText(/Location sent: 45\.4642, 9\.19/).waitFor();
  const chat = await customer.evaluate(() => JSON.parse(localStorage.getItem('chat:roadside') ?? 'null') as { id: string });
  await customer.waitForTimeout(500);
  t.equal(contextPosts.length, 1, 'one location sent');
  t.same(locationsOf(chat.id), [{ lat: 45.4642, lon: 9.19 }], 'the agent is shown it once');
  t.notOk(await share.isDisabled(), 'the button is back');
});
