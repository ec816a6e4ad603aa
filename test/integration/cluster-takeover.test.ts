// A failover while Asterisk cannot be reached: the node that takes over leads at once (chat needs no
// Asterisk), with telephony shown away, instead of waiting for ARI before it serves the rules.
import t from 'tap';
import { ApiClient, uniqueName } from '../helpers/api-client.ts';
import { leaderAndFollower, untilRole, withCluster } from '../helpers/cluster.ts';
import { eventually } from '../helpers/eventually.ts';

// An ARI nobody answers (a closed port on this machine).
const ARI_AWAY = { TELEPHONY: 'external', ARI_URL: 'http://127.0.0.1:9', ARI_USER: 'cc', ARI_PASSWORD: 'not-used-here' };

t.test('the leader killed while Asterisk is unreachable: the other node leads and takes chats without waiting for ARI', async (t) => {
  const cluster = await withCluster(t);
  const { a, b } = await leaderAndFollower(cluster, ARI_AWAY);

  process.kill(a.pid, 'SIGKILL');
  await untilRole(b, 'leader', 15_000);
  t.pass('node B leads');
  const customer = new ApiClient(b.url);
  const chat = await customer.createChat({ name: uniqueName('Ines') });
  await eventually('the chat queued by the new leader', async () => ((await customer.chat(chat)).state === 'queued' ? true : undefined), 5000);
  t.pass('a new chat is taken');
});
