// A WAV Asterisk could not close (it was killed mid-call) says it holds nothing: its sizes are set from
// its length, so what was recorded until then plays. A closed file is left as it is.
import t from 'tap';
import { closedWav } from '../../src/ari/calls/recordings.ts';
import { parseWav, toneWav } from '../helpers/tones.ts';

t.test('a WAV cut short gets its sizes from its length; a whole one is untouched', async (t) => {
  const whole = toneWav(440, 0.5, 8000);
  t.equal(closedWav(whole), whole, 'a closed file is returned as it is');
  const cut = Buffer.from(whole);
  cut.writeUInt32LE(0, 4);
  cut.writeUInt32LE(0, 40);
  const fixed = closedWav(cut);
  t.same([fixed.readUInt32LE(4), fixed.readUInt32LE(40)], [whole.length - 8, whole.length - 44]);
  t.equal(parseWav(fixed).samples.length, 4000, 'every sample written plays');
  t.equal(closedWav(Buffer.from('not a wav at all, just bytes of some length over 44 .....')).toString().slice(0, 8), 'not a wa', 'anything else is left alone');
});
