// The store contract (test/helpers/store-contract.ts) on PostgreSQL: a private PostgreSQL 15 cluster
// for this file, a database of its own per test, the stores opened as the server opens them with a
// DATABASE_URL (src/store/open-stores.ts), nothing stored under the data folder given.
import t from 'tap';
import { openStores } from '../../src/store/open-stores.ts';
import { startPostgres } from '../helpers/postgres.ts';
import { storeContract } from '../helpers/store-contract.ts';

const postgres = await startPostgres();
t.teardown(() => postgres.stop());

await storeContract(t, 'PostgreSQL', async () => {
  const databaseUrl = await postgres.newDatabase();
  return () =>
    openStores({ dataDir: '/nonexistent/no-data-dir-with-postgres', databaseUrl }, (err) => {
      throw err;
    });
});
