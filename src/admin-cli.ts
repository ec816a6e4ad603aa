import { loadConfig } from './config.ts';
import { Administration } from './domain/administration.ts';
import { DomainError, FormError } from './domain/errors.ts';
import { privateDataDir } from './store/files/data-dir.ts';
import { openStores } from './store/open-stores.ts';
import { hashPassword, verifyPassword } from './web/passwords.ts';

const USAGE = 'usage: npm run admin -- create-admin <username>';

// `npm run admin -- create-admin <username>`: the first admin of an install started with
// DEMO_DATA=off, in the database the server uses (DATABASE_URL, else the one under DATA_DIR; running
// or not: a running server learns of the agent at its first login). The one-time password goes to this command's stdout only, never to a log.
async function main(argv: string[]): Promise<number> {
  const [command, username, ...rest] = argv;
  if (command !== 'create-admin' || !username || rest.length > 0) {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig();
  privateDataDir(config.dataDir);
  const stores = await openStores(config, (err) => console.error(err));
  try {
    const admin = new Administration({
      directory: stores.directory,
      clock: { now: () => Date.now() },
      passwords: { hash: hashPassword, verify: verifyPassword },
      hooks: { agentChanged: async () => undefined, servicesChanged: async () => undefined },
    });
    const { agent, generatedPassword } = await admin.createFirstAdmin(username);
    console.log(`Admin ${agent.id} created. One-time password (shown only here; change it on /account after logging in):`);
    console.log(generatedPassword);
    return 0;
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    console.error(err instanceof FormError ? Object.values(err.fields).join('\n') : err.message);
    return 1;
  } finally {
    await stores.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
