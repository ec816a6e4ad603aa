// Call recording in the tests: a service made to record its calls as an admin does it.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { agentPost } from './desktop-client.ts';
import { eventually } from './eventually.ts';
import { login } from './fixtures.ts';
import type { TestServer } from './server.ts';

// "Record calls" ticked on /admin/services for the service (agent1 is the demo's admin).
export async function recordCalls(server: Pick<TestServer, 'url'>, serviceId = 'roadside', name = 'Roadside Assistance'): Promise<void> {
  const admin = await login(server, 'agent1');
  const res = await agentPost(admin, `/admin/services/${serviceId}`, { name, recordCalls: 'on' });
  if (res.status !== 200) throw new Error(`saving Record calls: ${res.status} ${await res.text()}`);
}

// Until Asterisk has written sound into the file of a call's recording in its spool (a WAV's header is
// 44 bytes; Asterisk writes through a buffer): a test that kills Asterisk then knows there is sound to keep.
export async function recordingHasSound(runtimeDir: string, interactionId: string): Promise<void> {
  const spool = join(runtimeDir, 'spool', 'recording');
  await eventually('sound in the recording file', async () => {
    const name = (await readdir(spool)).find((f) => f.startsWith(`cc-rec-${interactionId}_`));
    return name && (await stat(join(spool, name))).size > 44 ? true : undefined;
  }, 20_000);
}
