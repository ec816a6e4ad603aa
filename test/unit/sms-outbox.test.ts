// The SMS outbox's own failures: a delivery row the store failed to write is written again on the
// sends' schedule, so a reply is neither lost nor sent twice, and the chat's later replies wait behind it.
import t from 'tap';
import { SmsOutbox } from '../../src/domain/sms-outbox.ts';
import type { SmsDelivery, SmsRoute, SmsStore } from '../../src/domain/sms-ports.ts';
import { ManualClock } from '../helpers/fake-ports.ts';

const ROUTE: SmsRoute = { interactionId: 'chat-1', customerNumber: '+15551230077', serviceNumber: '+15550009000', gateway: 'webhook', createdAt: 0 };
const settled = async () => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

function outbox() {
  const clock = new ManualClock(0);
  const rows = new Map<string, SmsDelivery>();
  // The writes (counted from 1) the store fails.
  const failing = new Set<number>();
  let writes = 0;
  const store = {
    saveDelivery: async (d: SmsDelivery) => {
      if (failing.has(++writes)) throw new Error('database unavailable');
      rows.set(d.id, { ...d });
    },
    getDelivery: async (id: string) => rows.get(id),
    listDeliveries: async (interactionId: string) => [...rows.values()].filter((d) => d.interactionId === interactionId),
  } as unknown as SmsStore;
  const sent: string[] = [];
  const errors: string[] = [];
  const box = new SmsOutbox({
    store,
    clock,
    timers: clock,
    senders: { webhook: { send: async (m: { id: string }) => (sent.push(m.id), { status: 'accepted' }) } } as never,
    onError: (_err, what) => errors.push(what),
  });
  return { box, clock, rows, sent, errors, failing };
}

t.test("a reply whose delivery row the store failed to write is written again, then sent; the chat's next reply waits behind it", async (t) => {
  const o = outbox();
  o.failing.add(1);
  const first = o.box.send('chat-1', 'reply-1', 'On our way', async () => ROUTE);
  const second = o.box.send('chat-1', 'reply-2', 'Ten minutes', async () => ROUTE);
  await settled();
  t.same(o.sent, [], 'nothing sent while the row is not stored');
  o.clock.advance(5_000);
  await Promise.all([first, second]);
  t.same(o.sent, ['reply-1', 'reply-2'], 'both sent, in order');
  t.same([...o.rows.values()].map((d) => [d.id, d.status]), [['reply-1', 'accepted'], ['reply-2', 'accepted']], 'neither left as sending');
  t.equal(o.errors.length, 1, 'the failure is reported');
});

t.test("a status the store failed to write after the gateway took the text is written again (not left as sending, to be sent twice at the next start)", async (t) => {
  const o = outbox();
  o.failing.add(2); // the row is stored; the status write after the gateway's answer fails once
  const first = o.box.send('chat-1', 'reply-1', 'On our way', async () => ROUTE);
  await settled();
  t.same(o.sent, ['reply-1']);
  t.equal(o.rows.get('reply-1')?.status, 'sending', 'the status write failed');
  o.clock.advance(5_000);
  await first;
  t.equal(o.rows.get('reply-1')?.status, 'accepted', 'written again');
  t.same(o.sent, ['reply-1'], 'sent once');
});
