// Call recording in the tests: a service made to record its calls as an admin does it.
import { agentPost } from './desktop-client.ts';
import { login } from './fixtures.ts';
import type { TestServer } from './server.ts';

// "Record calls" ticked on /admin/services for the service (agent1 is the demo's admin).
export async function recordCalls(server: Pick<TestServer, 'url'>, serviceId = 'roadside', name = 'Roadside Assistance'): Promise<void> {
  const admin = await login(server, 'agent1');
  const res = await agentPost(admin, `/admin/services/${serviceId}`, { name, recordCalls: 'on' });
  if (res.status !== 200) throw new Error(`saving Record calls: ${res.status} ${await res.text()}`);
}
