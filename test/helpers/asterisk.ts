// An Asterisk owned by one test (the server then runs TELEPHONY=external against it), so the test can
// kill it, start it again, or share it between nodes. Stopped and its folder removed at teardown.
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAsterisk, type AsteriskInstance } from '../../src/ari/index.ts';
import { removeDir } from './server.ts';
import type { Teardown } from './fixtures.ts';

export interface TestAsterisk {
  asterisk: AsteriskInstance;
  ariPassword: string;
  // The server's environment for this Asterisk.
  env: { TELEPHONY: 'external'; ARI_URL: string; ARI_USER: string; ARI_PASSWORD: string };
  // For ariGet (test/helpers/voice.ts).
  ari: { url: string; auth: string };
}

export async function withAsterisk(t: Teardown): Promise<TestAsterisk> {
  const runtimeDir = await mkdtemp(join(tmpdir(), 'mcc-asterisk-'));
  const ariPassword = randomBytes(24).toString('base64url');
  const asterisk = await startAsterisk({ runtimeDir, httpPort: 0, sipPort: 0, ariPassword });
  t.teardown(async () => {
    await asterisk.stop();
    await removeDir(runtimeDir);
  });
  const { ariUrl, ariUser } = asterisk;
  return {
    asterisk,
    ariPassword,
    env: { TELEPHONY: 'external', ARI_URL: ariUrl, ARI_USER: ariUser, ARI_PASSWORD: ariPassword },
    ari: { url: `${ariUrl}/ari`, auth: 'Basic ' + Buffer.from(`${ariUser}:${ariPassword}`).toString('base64') },
  };
}
