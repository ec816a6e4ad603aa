// A caller-ID from ARI (a desk phone's or a trunk's) is outside data: a U+0000 in it is dropped where
// it enters the product, so the admin's telephony view (and whatever keeps it) is the same on both stores.
import t from 'tap';
import { callerOf } from '../../src/ari/caller-id.ts';

t.test('U+0000 is dropped from the caller name and number ARI gives', async (t) => {
  t.equal(callerOf({ caller: { name: 'Front\u0000 desk', number: '' } }), 'Front desk', 'the name, without the NUL');
  t.equal(callerOf({ caller: { name: 'Front desk', number: '+1555\u00001230' } }), '+15551230', 'the number first, without the NUL');
  t.equal(callerOf({ caller: { name: 'Front desk', number: '\u0000' } }), 'Front desk', 'a number that was only a NUL gives way to the name');
  t.equal(callerOf({ caller: { name: '\u0000', number: '' } }), '', 'nothing left: empty');
  t.equal(callerOf({ caller: { name: 'Zoë ✓ \u0001', number: '' } }), 'Zoë ✓ \u0001', 'every other character is kept');
  t.equal(callerOf({}), '', 'a channel without a caller: empty');
});
