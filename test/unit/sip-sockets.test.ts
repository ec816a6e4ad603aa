// The caps on /sip sockets: per chat, per agent session, customers' share, total; a place comes back
// once, however often its socket reports closing.
import t from 'tap';
import { Registry } from 'prom-client';
import { loadConfig } from '../../src/config.ts';
import { SipSockets, type SipSocketCaps } from '../../src/web/sip-sockets.ts';

const caps: SipSocketCaps = { perChat: 2, perAddress: 10, perAgentSession: 2, customers: 3, total: 4 };
const refusal = (claimed: ReturnType<SipSockets['claim']>) => ('status' in claimed ? `${claimed.status} ${claimed.reason}` : 'open');

t.test('customers are held to their share; agents keep the rest of the total', async (t) => {
  const sockets = new SipSockets(caps, new Registry());
  t.equal(refusal(sockets.claim({ kind: 'customer', id: 'a' })), 'open');
  t.equal(refusal(sockets.claim({ kind: 'customer', id: 'a' })), 'open');
  t.equal(refusal(sockets.claim({ kind: 'customer', id: 'a' })), '429 per_chat', "a chat's 3rd socket");
  t.equal(refusal(sockets.claim({ kind: 'customer', id: 'b' })), 'open');
  t.equal(refusal(sockets.claim({ kind: 'customer', id: 'c' })), '503 customers_full', "past the customers' share");
  t.equal(refusal(sockets.claim({ kind: 'agent', id: 's1' })), 'open', 'an agent still gets a place');
  t.equal(refusal(sockets.claim({ kind: 'agent', id: 's2' })), '503 total_full', 'past the total');
});

t.test('a released place comes back once, even when released twice', async (t) => {
  const sockets = new SipSockets({ ...caps, perChat: 1 }, new Registry());
  const first = sockets.claim({ kind: 'customer', id: 'a' });
  if ('status' in first) return t.fail('the first socket opens');
  first.release();
  first.release();
  t.equal(refusal(sockets.claim({ kind: 'customer', id: 'a' })), 'open', 'the place came back');
  t.equal(refusal(sockets.claim({ kind: 'customer', id: 'a' })), '429 per_chat', 'only one place came back');
});

t.test('settings: defaults leave headroom below Asterisk sessions, and a customers share not below the total is refused', async (t) => {
  t.same(loadConfig({}).sipSockets, { perChat: 2, perAddress: 6, perAgentSession: 2, customers: 50, total: 150 });
  t.throws(() => loadConfig({ SIP_SOCKETS_CUSTOMERS_MAX: '150' }), /SIP_SOCKETS_CUSTOMERS_MAX \(150\) must be below SIP_SOCKETS_MAX \(150\)/);
});

t.test("one address's phone sockets over all its chats are capped, below the customers' share; other addresses still get theirs", async (t) => {
  const sockets = new SipSockets({ ...caps, perAddress: 3, customers: 10, total: 20 }, new Registry());
  const from = (id: string, address: string) => refusal(sockets.claim({ kind: 'customer', id, address }));
  t.same(['a', 'b', 'c'].map((chat) => from(chat, '198.51.100.7')), ['open', 'open', 'open'], 'three chats, a socket each');
  t.equal(from('d', '198.51.100.7'), '429 per_address', 'a fourth chat from the same address');
  t.equal(from('e', '203.0.113.9'), 'open', 'another address');
  const place = sockets.claim({ kind: 'customer', id: 'f', address: '203.0.113.9' });
  if ('status' in place) return t.fail('opens');
  place.release();
  t.equal(from('g', '203.0.113.9'), 'open', 'a closed socket gives its address its place back');
});
