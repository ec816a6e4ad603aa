// Desk-phone and softphone endpoints follow the agent list, in the Asterisk the server starts: an agent
// added on /admin/agents gets its endpoints, a disabled one loses them (and its registered phone), and
// enabling brings them back. Its softphone socket through /sip is cut with its sessions.
import { once } from 'node:events';
import t from 'tap';
import { WebSocket } from 'ws';
import { Baresip } from '../helpers/baresip.ts';
import { agentPost } from '../helpers/desktop-client.ts';
import { eventually } from '../helpers/eventually.ts';
import { login, withServer } from '../helpers/fixtures.ts';
import { ariCredentials, deskPasswordOf, sipPortOf, VOICE_ENV } from '../helpers/voice.ts';

t.test('endpoints are created, removed and pushed again as an agent is added, disabled and enabled', async (t) => {
  const server = await withServer(t, { env: VOICE_ENV });
  const ari = await ariCredentials(server);
  const endpointStatus = async (name: string) => (await fetch(`${ari.url}/endpoints/PJSIP/${name}`, { headers: { authorization: ari.auth } })).status;
  const both = async () => [await endpointStatus('desk1'), await endpointStatus('desk1-desk')];
  const admin = await login(server, 'agent1');
  const post = async (path: string, form: Record<string, string> = {}) => {
    const res = await agentPost(admin, path, form);
    await res.text();
    return res.status;
  };

  t.same(await both(), [404, 404], 'no endpoints before the agent exists');
  t.equal(await post('/admin/agents', { username: 'desk1', displayName: 'Desk One', role: 'agent', password: 'desk one pass 1', serviceIds: 'roadside' }), 200);
  await eventually('the endpoints in Asterisk', async () => ((await both()).every((s) => s === 200) ? true : undefined), 10_000);
  t.pass('added: both endpoints exist');

  const phone = await Baresip.start({ accounts: [{ user: 'desk1-desk', password: await deskPasswordOf(server, 'desk1', 'desk one pass 1'), sipPort: sipPortOf(server), autoAnswer: true }] });
  t.teardown(() => phone.stop());
  await phone.waitRegistered('desk1-desk');

  // The agent's softphone socket through /sip, open in its session.
  const session = await login(server, 'desk1', 'desk one pass 1');
  const softphone = new WebSocket(`${server.url.replace('http', 'ws')}/sip`, 'sip', { headers: { cookie: session.cookie, origin: server.url } });
  await once(softphone, 'open');
  const closed = once(softphone, 'close');

  t.equal(await post('/admin/agents/desk1/disable'), 200);
  const [code] = (await closed) as [number];
  t.equal(code, 4401, "the disabled agent's softphone socket is cut at once");
  await eventually('the endpoints gone', async () => ((await both()).every((s) => s === 404) ? true : undefined), 10_000);
  t.pass('disabled: both endpoints are removed, with the phone registered on one');
  t.equal(await post('/admin/agents/desk1/reset-password'), 200, "the disabled agent's password reset");
  t.same(await both(), [404, 404], 'its desk phone password is renewed in the store only: no endpoint comes back');

  t.equal(await post('/admin/agents/desk1/enable'), 200);
  await eventually('the endpoints back', async () => ((await both()).every((s) => s === 200) ? true : undefined), 10_000);
  t.pass('enabled: pushed again');
});
