// Desk-phone and softphone endpoints follow the agent list, in the Asterisk the server starts: an agent
// added on /admin/agents gets its endpoints, a disabled one loses them (and its registered phone), and
// enabling brings them back.
import t from 'tap';
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

  t.equal(await post('/admin/agents/desk1/disable'), 200);
  await eventually('the endpoints gone', async () => ((await both()).every((s) => s === 404) ? true : undefined), 10_000);
  t.pass('disabled: both endpoints are removed, with the phone registered on one');

  t.equal(await post('/admin/agents/desk1/enable'), 200);
  await eventually('the endpoints back', async () => ((await both()).every((s) => s === 200) ? true : undefined), 10_000);
  t.pass('enabled: pushed again');
});
