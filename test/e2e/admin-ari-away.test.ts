// Admin changes made while the controller's link to ARI is cut (a real Asterisk owned by the test, the
// link a TCP relay the test cuts; a baresip desk phone) reach Asterisk once ARI is back: a disabled
// agent's endpoints are removed, and a desk phone registered with a password reset meanwhile is dropped.
import t from 'tap';
import { cuttableAri } from '../helpers/ari-link.ts';
import { withAsterisk } from '../helpers/asterisk.ts';
import { Baresip } from '../helpers/baresip.ts';
import { agentPost } from '../helpers/desktop-client.ts';
import { eventually } from '../helpers/eventually.ts';
import { login, withServer } from '../helpers/fixtures.ts';
import { ariGet, deskPasswordOf } from '../helpers/voice.ts';

t.test('changes made while ARI is away: a disabled agent loses its endpoints, a reset password its registered desk phone', async (t) => {
  const { asterisk, env, ari } = await withAsterisk(t);
  const link = await cuttableAri(t, asterisk);
  const server = await withServer(t, { env: { ...env, ARI_URL: link.url } });
  const admin = await login(server, 'agent1');
  const post = async (path: string, form: Record<string, string> = {}) => {
    const res = await agentPost(admin, path, form);
    await res.text();
    return res.status;
  };
  // Read from Asterisk itself, not through the cut link.
  const endpointStatus = async (name: string) => (await fetch(`${ari.url}/endpoints/PJSIP/${name}`, { headers: { authorization: ari.auth } })).status;
  const contacts = async (aor: string) =>
    (await ariGet<Array<{ attribute: string; value: string }>>(ari, `/asterisk/config/dynamic/res_pjsip/aor/${aor}`)).find((f) => f.attribute === 'contact')?.value ?? '';

  for (const username of ['away1', 'away2']) {
    t.equal(await post('/admin/agents', { username, displayName: username, role: 'agent', password: `${username} pass word`, serviceIds: 'roadside' }), 200, `${username} added`);
  }
  await eventually('the endpoints in Asterisk', async () => ((await endpointStatus('away1')) === 200 && (await endpointStatus('away2-desk')) === 200 ? true : undefined), 10_000);
  const phone = await Baresip.start({ accounts: [{ user: 'away2-desk', password: await deskPasswordOf(server, 'away2', 'away2 pass word'), sipPort: asterisk.sipUdpPort, autoAnswer: true }] });
  t.teardown(() => phone.stop());
  await phone.waitRegistered('away2-desk');
  t.match(await contacts('away2-desk'), /sip:/, "away2's desk phone is registered");

  await link.drops(() => server, async () => {
    t.equal(await post('/admin/agents/away1/disable'), 200, 'away1 disabled while ARI is away');
    t.equal(await post('/admin/agents/away2/reset-password'), 200, "away2's password reset while ARI is away");
    t.equal(await endpointStatus('away1'), 200, 'Asterisk still has what it had: the controller cannot reach it');
  });
  await eventually("the disabled agent's endpoints gone", async () => ((await endpointStatus('away1')) === 404 && (await endpointStatus('away1-desk')) === 404 ? true : undefined), 10_000);
  t.pass('once ARI is back, the disabled agent has no endpoint in Asterisk');
  await eventually('the desk phone dropped', async () => ((await contacts('away2-desk')) === '' ? true : undefined), 10_000);
  t.pass('and the desk phone registered with the old password is dropped (its password no longer registers it)');
  t.equal(await endpointStatus('away2-desk'), 200, "away2's endpoint stays: only its phone went");
});
