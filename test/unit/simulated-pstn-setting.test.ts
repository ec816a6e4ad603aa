// SIMULATED_PSTN: customers' pages get phones on the development PSTN only where the trunk leads to it,
// that is with the project's own Asterisk, unless the operator says otherwise.
import t from 'tap';
import { loadConfig } from '../../src/config.ts';

t.test('on by default with the local Asterisk, off with an external one or a carrier', async (t) => {
  t.equal(loadConfig({}).simulatedPstn, true, 'npm start alone: the quick start rings the customer page');
  t.equal(loadConfig({ TELEPHONY: 'local' }).simulatedPstn, true);
  t.equal(loadConfig({ ARI_URL: 'http://127.0.0.1:8088', ARI_USER: 'u', ARI_PASSWORD: 'p' }).simulatedPstn, false, 'an Asterisk of your own: off');
  t.equal(loadConfig({ TELEPHONY: 'off' }).simulatedPstn, false);
  t.equal(loadConfig({ SIMULATED_PSTN: 'off' }).simulatedPstn, false, 'a carrier behind the local Asterisk: off');
  t.equal(loadConfig({ TELEPHONY: 'external', ARI_URL: 'http://127.0.0.1:8088', ARI_USER: 'u', ARI_PASSWORD: 'p', SIMULATED_PSTN: 'on' }).simulatedPstn, true);
});

t.test('anything but on or off is refused at start, saying what is expected', async (t) => {
  t.throws(() => loadConfig({ SIMULATED_PSTN: 'yes' }), /SIMULATED_PSTN must be on or off, got "yes"/);
});
