// The address abuse limits count a client under: one IPv4 address, or one IPv6 /64 (what a single
// subscriber is handed), however the address is written.
import t from 'tap';
import { addressKey } from '../../src/web/client-address.ts';
import { waitInWords } from '../../src/web/rate-limits.ts';

t.test('IPv4 addresses count alone, written plainly or IPv4-mapped', async (t) => {
  t.equal(addressKey('203.0.113.5'), '203.0.113.5');
  t.equal(addressKey('::ffff:203.0.113.5'), '203.0.113.5', 'the same client over a dual-stack socket');
  t.not(addressKey('203.0.113.5'), addressKey('203.0.113.6'));
});

t.test('IPv6 addresses count by their /64', async (t) => {
  const home = addressKey('2001:db8:1:2::1');
  t.equal(home, '2001:db8:1:2::/64');
  t.equal(addressKey('2001:db8:1:2:ffff:ffff:ffff:ffff'), home, 'every address of the /64 is one client');
  t.equal(addressKey('2001:0DB8:0001:0002:0:0:0:9'), home, 'however it is written');
  t.equal(addressKey('2001:db8:1:2::1%eth0'), home, 'with a zone');
  t.not(addressKey('2001:db8:1:3::1'), home, 'the next /64 is another client');
  t.equal(addressKey('::1'), '0:0:0:0::/64');
});

t.test('waits are told in seconds, long ones in minutes', async (t) => {
  t.equal(waitInWords(1), '1 second');
  t.equal(waitInWords(45), '45 seconds');
  t.equal(waitInWords(119), '119 seconds');
  t.equal(waitInWords(3600), '60 minutes');
  t.equal(waitInWords(121), '3 minutes', 'rounded up: never sooner than the server allows');
});
