// The controller's link to a test's own Asterisk (asterisk.ts), through a TCP link the test can cut
// (flaky-link.ts): ARI goes away on cue while Asterisk carries on with its calls, and comes back.
import type { AsteriskInstance } from '../../src/ari/index.ts';
import type { Teardown } from './fixtures.ts';
import { eventually } from './eventually.ts';
import { startFlakyLink } from './flaky-link.ts';
import type { TestServer } from './server.ts';

export interface CuttableAri {
  // The server's ARI_URL: Asterisk's ARI through the link.
  url: string;
  // The link is cut until `meanwhile` is done, then restored; resolves once `server` (a getter: it may
  // be restarted) shows ARI up again, which it does only after reconciling with Asterisk.
  drops(server: () => Pick<TestServer, 'url'>, meanwhile?: () => Promise<unknown>): Promise<void>;
}

export async function cuttableAri(t: Teardown, asterisk: Pick<AsteriskInstance, 'ariUrl'>): Promise<CuttableAri> {
  const link = await startFlakyLink(Number(new URL(asterisk.ariUrl).port));
  t.teardown(() => link.close());
  return {
    url: link.url,
    async drops(server, meanwhile = async () => undefined) {
      const state = async () => ((await (await fetch(`${server().url}/healthz`)).json()) as { ari: { state: string } }).ari.state;
      link.cut();
      await eventually('ARI down', async () => ((await state()) !== 'up' ? true : undefined), 15_000);
      try {
        await meanwhile();
      } finally {
        link.restore();
      }
      await eventually('ARI up again', async () => ((await state()) === 'up' ? true : undefined), 30_000);
    },
  };
}
