// The store contract (test/helpers/store-contract.ts) on the embedded SQLite store, each test on its
// own data folder, the stores opened as the server opens them (src/store/open-stores.ts).
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import t from 'tap';
import { openStores } from '../../src/store/open-stores.ts';
import { storeContract } from '../helpers/store-contract.ts';
import { tempFile } from '../helpers/store.ts';

await storeContract(t, 'SQLite', async (t) => {
  const dataDir = dirname(await tempFile(t));
  const open = () =>
    openStores({ dataDir }, (err) => {
      throw err;
    });
  return Object.assign(open, {
    async sql(statement: string) {
      const db = new DatabaseSync(join(dataDir, 'contact-center.sqlite'));
      try {
        db.exec('PRAGMA busy_timeout = 5000');
        db.exec(statement);
      } finally {
        db.close();
      }
    },
  });
});
