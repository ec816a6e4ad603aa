// The desktop's Transfer to list (handoff-view.ts transferTargets): the same on every node. A node that
// does not lead learns each agent's presence from the store, not what they serve; the services come
// from the directory.
import t from 'tap';
import { transferTargets } from '../../src/web/desktop/handoff-view.ts';
import { makeCenter } from '../helpers/fakes.ts';

const name = async (id: string) => id;

t.test('Transfer to offers the Ready agents and their services, on the leader and on a follower alike', async (t) => {
  const leader = await makeCenter();
  leader.center.setPresence('bob', 'make_ready');
  const onLeader = await transferTargets(leader.center, 'alice', name);
  t.same(onLeader.agents.map((o) => o.value), ['agent:bob']);
  t.ok(onLeader.services.length > 0, `services offered on the leader: ${JSON.stringify(onLeader.services)}`);

  // A follower: no recover(), agents known only from the presence it replicates.
  const follower = await makeCenter({ recover: false });
  follower.center.replicatePresence({ agentId: 'bob', presence: 'ready', idleSince: 0 });
  const onFollower = await transferTargets(follower.center, 'alice', name);
  t.same(onFollower, onLeader, 'the same list on the follower');
});
