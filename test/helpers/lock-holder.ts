// A process that only contends for the cluster's leader lock (the real LeaderLock): prints "leader"
// when it wins, and exits 3 when it loses the lock's connection while leading. Used by
// test/integration/cluster-leadership.test.ts to kill a leader for real.
import { LeaderLock } from '../../src/store/postgres/cluster/leader-lock.ts';

const lock = new LeaderLock({
  connectionString: process.env.DATABASE_URL!,
  nodeId: process.env.NODE_ID ?? 'holder',
  async onLeader() {
    process.stdout.write(`leader ${Date.now()}\n`);
  },
  onLost(err) {
    process.stdout.write(`lost ${err.message}\n`);
    process.exit(3);
  },
});
lock.start();
process.stdout.write('started\n');
