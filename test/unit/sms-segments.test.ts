import t from 'tap';
import { countSegments, describeSegments, GSM7_BASIC, GSM7_EXTENSION, isGsm7 } from '../../src/domain/sms-segments.ts';

const a = (n: number) => 'a'.repeat(n);

t.test('GSM-7 alphabet: 127 characters of the default table (escape left out) and 10 of the extension', async (t) => {
  t.equal([...GSM7_BASIC].length, 127);
  t.equal(new Set(GSM7_BASIC).size, 127, 'no character twice');
  t.equal([...GSM7_EXTENSION].length, 10);
  t.ok(isGsm7(GSM7_BASIC + GSM7_EXTENSION));
  t.ok(isGsm7('Où es-tu? Ich bin auf der Straße. ¿Dañado? Δ Ω £ ¥ § ¡ à Ñ'), 'accents of the default table');
  t.notOk(isGsm7('ê'), 'not every accent: ê needs UCS-2');
  t.notOk(isGsm7('ç'), 'small c cedilla is not in the table (only Ç)');
  t.notOk(isGsm7('Zażółć'), 'Polish letters need UCS-2');
  t.notOk(isGsm7('hi 👋'), 'emoji need UCS-2');
  t.notOk(isGsm7('\u001b'), 'a bare escape is not text');
});

t.test('GSM-7: 160 in one SMS, then 153 per part', async (t) => {
  t.same(countSegments(''), { encoding: 'GSM-7', units: 0, segments: 0 }, 'empty: nothing to send');
  t.same(countSegments(a(1)), { encoding: 'GSM-7', units: 1, segments: 1 });
  t.same(countSegments(a(160)), { encoding: 'GSM-7', units: 160, segments: 1 });
  t.same(countSegments(a(161)), { encoding: 'GSM-7', units: 161, segments: 2 });
  t.equal(countSegments(a(306)).segments, 2);
  t.equal(countSegments(a(307)).segments, 3);
  t.same(countSegments(a(1600)), { encoding: 'GSM-7', units: 1600, segments: 11 }, 'a 1,600-character text: 11 parts');
  t.equal(countSegments('line one\nline two\r\n@£$').encoding, 'GSM-7', 'newlines and currency signs of the table');
});

t.test('GSM-7 extension characters take two septets and are never split between parts', async (t) => {
  t.same(countSegments('€'), { encoding: 'GSM-7', units: 2, segments: 1 });
  t.same(countSegments('€'.repeat(80)), { encoding: 'GSM-7', units: 160, segments: 1 });
  t.same(countSegments('€'.repeat(81)), { encoding: 'GSM-7', units: 162, segments: 2 });
  t.equal(countSegments('[]{}^~\\|\f€').units, 20, 'all ten count two');
  // 306 septets would fit two parts of 153, but the euro sign would straddle them: three parts.
  const straddling = a(152) + '€' + a(152);
  t.same(countSegments(straddling), { encoding: 'GSM-7', units: 306, segments: 3 });
  t.equal(countSegments(a(151) + '€' + a(153)).segments, 2, 'when it fits at the end of a part: two');
});

t.test('UCS-2: 70 in one SMS, then 67 per part', async (t) => {
  t.same(countSegments('ł'.repeat(70)), { encoding: 'UCS-2', units: 70, segments: 1 });
  t.same(countSegments('ł'.repeat(71)), { encoding: 'UCS-2', units: 71, segments: 2 });
  t.equal(countSegments('ł'.repeat(134)).segments, 2);
  t.equal(countSegments('ł'.repeat(135)).segments, 3);
  t.same(countSegments(a(159) + 'ç'), { encoding: 'UCS-2', units: 160, segments: 3 }, 'one character outside GSM-7 makes it all UCS-2');
});

t.test('emoji: a surrogate pair counts two UCS-2 units and is never split', async (t) => {
  t.same(countSegments('👋'), { encoding: 'UCS-2', units: 2, segments: 1 });
  t.same(countSegments('On my way 🚗'), { encoding: 'UCS-2', units: 12, segments: 1 });
  t.same(countSegments('😀'.repeat(35)), { encoding: 'UCS-2', units: 70, segments: 1 }, '35 emoji fill one SMS');
  t.same(countSegments('😀'.repeat(36)), { encoding: 'UCS-2', units: 72, segments: 2 });
  t.same(countSegments(a(69) + '😀'), { encoding: 'UCS-2', units: 71, segments: 2 });
  // 134 units would fit two parts of 67, but the emoji would straddle them: three parts.
  t.same(countSegments(a(66) + '😀' + a(66)), { encoding: 'UCS-2', units: 134, segments: 3 });
  t.same(countSegments('👨‍👩‍👧'), { encoding: 'UCS-2', units: 8, segments: 1 }, 'a family emoji: three pairs and two joiners');
});

t.test('describeSegments is what the composer shows', async (t) => {
  t.equal(describeSegments(countSegments(a(200))), '2 SMS (GSM-7)');
  t.equal(describeSegments(countSegments('Thanks 🙂')), '1 SMS (UCS-2)');
  t.equal(describeSegments(countSegments('')), '0 SMS (GSM-7)');
});
