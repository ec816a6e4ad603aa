// The baresip phone of the tests (test/helpers/baresip.ts), a real baresip: it is driven only over a
// control port no other process listens on, and when it dies its errors say how and what it printed.
// No Asterisk: what is checked is the phone's control connection, not its calls.
import t from 'tap';
import { createServer, type Server } from 'node:net';
import { Baresip } from '../helpers/baresip.ts';
import { controlPort } from '../helpers/baresip-control.ts';

const account = (user: string) => ({ user, password: 'not-used', sipPort: 9, autoAnswer: true });

t.test("a phone whose control port another process listens on too is moved to another port, and answers", async (t) => {
  // Another process's listener that shares the port (SO_REUSEPORT), as another phone's SIP listener can:
  // the kernel would hand it some of the connections meant for baresip, and it closes them.
  let stolen = 0;
  const other: Server = createServer((connection) => {
    stolen++;
    connection.destroy();
  });
  const port = await controlPort();
  await new Promise<void>((resolve) => other.listen({ host: '127.0.0.1', port, reusePort: true }, resolve));
  t.teardown(() => new Promise<void>((resolve) => other.close(() => resolve())));
  const chosen: number[] = [];
  const phone = await Baresip.start({
    accounts: [account('shared-port-desk')],
    controlPort: async () => {
      chosen.push(chosen.length === 0 ? port : await controlPort());
      return chosen.at(-1)!;
    },
  });
  t.teardown(() => phone.stop());
  t.match(await phone.command('reginfo'), /sip:shared-port-desk@127\.0\.0\.1/, "commands reach this phone's baresip");
  t.match(await phone.command('reginfo'), /sip:shared-port-desk@127\.0\.0\.1/, 'and keep reaching it');
  t.equal(stolen, 0, 'no connection of the helper went to the other listener');
  t.ok(chosen.length >= 2 && !chosen.slice(1).includes(port), 'the phone was started again on another port');
});

t.test('a phone whose baresip dies says how it ended and what baresip printed last', async (t) => {
  const phone = await Baresip.start({ accounts: [account('dying-desk')] });
  t.teardown(() => phone.stop());
  process.kill(phone.pid, 'SIGKILL');
  await t.rejects(phone.command('reginfo'), /baresip was killed by SIGKILL[\s\S]*baresip is ready/, 'a command says so, with its output');
  await t.rejects(phone.command('reginfo'), /baresip was killed by SIGKILL/, 'and so does every later command');
  await t.rejects(phone.waitEvent((e) => e.type === 'CALL_INCOMING'), /baresip was killed by SIGKILL/, 'a wait for an event ends at once, saying why');
});
