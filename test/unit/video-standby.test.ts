// A cluster's follower starts no SFU, but says in /healthz's 'sfu' part whether it could if it led.
import t from 'tap';
import { createVideo } from '../../src/sfu/index.ts';

const logger = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

t.test('a follower with its mediasoup worker at hand: standby', async (t) => {
  const video = createVideo({ logger });
  t.match(video.health(), { state: 'standby' });
});

t.test('a follower whose mediasoup worker is missing: down, saying where it was looked for', async (t) => {
  const video = createVideo({ logger, workerBin: '/nonexistent/mediasoup-worker' });
  t.match(video.health(), { state: 'down', detail: /could not run video if it led: mediasoup worker not found at \/nonexistent\/mediasoup-worker/ });
});
