// The store contract (test/helpers/store-contract.ts) on the embedded SQLite store, each test on its
// own database file in a temporary folder.
import t from 'tap';
import { openDurableDatabase } from '../../src/store/sqlite/durable-database.ts';
import { SqliteDirectory } from '../../src/store/sqlite/directory-store.ts';
import { SqliteInteractionStore } from '../../src/store/sqlite/interaction-store.ts';
import { storeContract } from '../helpers/store-contract.ts';
import { tempFile } from '../helpers/store.ts';

await storeContract(t, 'SQLite', async (t) => {
  const file = await tempFile(t);
  return async () => {
    const database = openDurableDatabase(file, (err) => {
      throw err;
    });
    return {
      store: new SqliteInteractionStore(database.db, database.batcher),
      directory: new SqliteDirectory(database.db, database.batcher),
      close: () => database.close(),
    };
  };
});
