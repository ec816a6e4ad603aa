// DATA_DIR is this server's user's only: the folder 0700 and every file in it 0600 (database, WAL,
// photos, the local Asterisk's generated credentials and its own files), with the usual umask.
import { chmod, mkdtemp, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import t from 'tap';
import { ApiClient } from '../helpers/api-client.ts';
import { withServer } from '../helpers/fixtures.ts';
import { PNG } from '../helpers/images.ts';
import { VOICE_ENV } from '../helpers/voice.ts';

async function walk(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    found.push(path);
    if (entry.isDirectory()) found.push(...(await walk(path)));
  }
  return found;
}

t.test('the data folder and everything in it are private to the server user', async (t) => {
  process.umask(0o022); // the usual umask: files 0644, folders 0755 unless the server says otherwise
  // A folder an older version (or the admin) made world-readable is tightened too.
  const dataDir = await mkdtemp(join(tmpdir(), 'mcc-modes-'));
  await chmod(dataDir, 0o755);
  const server = await withServer(t, { dataDir, env: VOICE_ENV });
  const api = new ApiClient(server.url);
  const chat = await api.createChat();
  await api.say(chat, 'hello');
  t.equal((await api.upload(chat, { bytes: PNG, type: 'image/png', name: 'car.png' })).status, 201, 'a photo stored');

  t.equal((await stat(dataDir)).mode & 0o777, 0o700, 'DATA_DIR is 0700');
  const paths = await walk(dataDir);
  const names = paths.map((p) => relative(dataDir, p));
  for (const expected of ['contact-center.sqlite', 'contact-center.sqlite-wal', 'attachments', 'asterisk/etc/generated_ari.conf', 'asterisk/db/astdb.sqlite3']) {
    t.ok(names.includes(expected), `${expected} is there`);
  }
  t.ok(names.some((n) => /^attachments\/[0-9a-f-]{36}$/.test(n)), 'the photo is there');
  const open: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => null); // a file removed since (a temporary one) is fine
    if (info && (info.mode & 0o077) !== 0) open.push(`${relative(dataDir, path)} ${(info.mode & 0o777).toString(8)}`);
  }
  t.same(open, [], 'no file or folder is readable by group or others');
});
