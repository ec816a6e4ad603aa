// The store contract (test/helpers/store-contract.ts) on the embedded SQLite store, each test on its
// own data folder, the stores opened as the server opens them (src/store/open-stores.ts).
import { dirname } from 'node:path';
import t from 'tap';
import { openStores } from '../../src/store/open-stores.ts';
import { storeContract } from '../helpers/store-contract.ts';
import { tempFile } from '../helpers/store.ts';

await storeContract(t, 'SQLite', async (t) => {
  const dataDir = dirname(await tempFile(t));
  return () =>
    openStores({ dataDir }, (err) => {
      throw err;
    });
});
