// The store contract (test/helpers/store-contract.ts) on PostgreSQL: a private PostgreSQL 15 cluster
// for this file, a database of its own per test, the stores opened as the server opens them with a
// DATABASE_URL (src/store/open-stores.ts), nothing stored under the data folder given.
import pg from 'pg';
import t from 'tap';
import { openStores } from '../../src/store/open-stores.ts';
import { startPostgres } from '../helpers/postgres.ts';
import { storeContract } from '../helpers/store-contract.ts';

const postgres = await startPostgres();
t.teardown(() => postgres.stop());

await storeContract(t, 'PostgreSQL', async () => {
  const databaseUrl = await postgres.newDatabase();
  const open = () =>
    openStores({ dataDir: '/nonexistent/no-data-dir-with-postgres', databaseUrl }, (err) => {
      throw err;
    });
  return Object.assign(open, {
    async sql(statement: string) {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        await client.query(statement);
      } finally {
        await client.end();
      }
    },
  });
});
