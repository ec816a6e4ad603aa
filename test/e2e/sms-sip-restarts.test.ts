// The SMS trunk's ARI subscription across restarts, with a real Asterisk the test owns (the server runs
// with TELEPHONY=external against it). The carrier is a sip.js UserAgent in this process that
// authenticates as the SMS trunk (its generated password) and texts our SMS number directly, so the
// test sees Asterisk's own answer: 202 when the controller takes the text, 404 when nobody does.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Messager, UserAgent } from 'sip.js';
import t from 'tap';
import { startAsterisk, type AsteriskInstance } from '../../src/ari/index.ts';
import { eventually } from '../helpers/eventually.ts';
import { logEntries, removeDir, startServer, type TestServer } from '../helpers/server.ts';

const SMS_NUMBER = '+15550009000';

// The carrier's side of the SMS trunk, with the password this Asterisk generated at its start.
async function carrier(asterisk: AsteriskInstance, wrongPassword?: string): Promise<{ text(from: string, body: string): Promise<number>; stop(): Promise<void> }> {
  const generated = await readFile(join(asterisk.runtimeDir, 'etc', 'generated_pjsip.conf'), 'utf8');
  const password = wrongPassword ?? /\[sms-trunk-auth\]\(\+\)\s*\npassword = (\S+)/.exec(generated)?.[1];
  if (!password) throw new Error('no SMS trunk password in generated_pjsip.conf');
  const ua = new UserAgent({
    uri: UserAgent.makeURI('sip:sms-trunk@carrier.invalid'),
    transportOptions: { server: asterisk.sipWsUrl },
    authorizationUsername: 'sms-trunk',
    authorizationPassword: password,
    logLevel: 'error',
  });
  await ua.start();
  return {
    text: (from, body) =>
      new Promise<number>((resolve) => {
        // The sender's number is the From user of a carrier's MESSAGE.
        const messager = new Messager(ua, UserAgent.makeURI(`sip:${SMS_NUMBER}@carrier.invalid`)!, body, 'text/plain', {
          params: { fromUri: `sip:${from}@carrier.invalid` },
        });
        void messager.message({ requestDelegate: { onAccept: (r) => resolve(r.message.statusCode ?? 0), onReject: (r) => resolve(r.message.statusCode ?? 0) } });
      }),
    stop: () => ua.stop(),
  };
}

// Every wait in this file allows 30 s.
const WAIT_MS = 30_000;

const taken = (server: TestServer, from: string) => logEntries(server, 'text from the SMS trunk').filter((e) => e.from === `<sip:${from}@carrier.invalid>`);
const sipUp = async (server: TestServer) => {
  const health = (await (await fetch(`${server.url}/healthz`)).json()) as { sms?: { sip?: { state?: string } } };
  return health.sms?.sip?.state === 'up' ? true : undefined;
};

t.test('the SMS trunk across restarts: subscribed again after Asterisk restarts; a stopped controller leaves texts with the carrier', async (t) => {
  const runtimeDir = await mkdtemp(join(tmpdir(), 'mcc-asterisk-'));
  const ariPassword = randomBytes(24).toString('base64url');
  const started: { asterisk: AsteriskInstance; server?: TestServer; dataDir?: string; carriers: Array<{ stop(): Promise<void> }> } = {
    asterisk: await startAsterisk({ runtimeDir, httpPort: 0, sipPort: 0, ariPassword }),
    carriers: [],
  };
  t.teardown(async () => {
    for (const c of started.carriers) await c.stop().catch(() => undefined);
    await started.server?.stop();
    await started.asterisk.stop();
    if (started.dataDir) await removeDir(started.dataDir);
    await removeDir(runtimeDir);
  });
  const { httpPort, sipUdpPort: sipPort, ariUrl, ariUser } = started.asterisk;
  const env = { TELEPHONY: 'external', ARI_URL: ariUrl, ARI_USER: ariUser, ARI_PASSWORD: ariPassword };
  let server = (started.server = await startServer({ env }));
  started.dataDir = server.dataDir;
  const from = '+15551238001';

  let sms = await carrier(started.asterisk);
  started.carriers.push(sms);
  t.equal(await sms.text(from, 'before the restart'), 202, 'the controller takes a text');
  await eventually('the text in a chat', async () => (taken(server, from).some((e) => e.status === 'delivered') ? true : undefined), WAIT_MS);
  const impostor = await carrier(started.asterisk, 'not-the-password');
  started.carriers.push(impostor);
  t.equal(await impostor.text(from, 'from an impostor'), 401, 'a MESSAGE that does not authenticate as the SMS trunk is refused');
  await impostor.stop();

  // Asterisk dies and comes back: it forgot the subscription; the controller subscribes again.
  await sms.stop();
  process.kill(started.asterisk.pid, 'SIGKILL');
  await started.asterisk.stop();
  started.asterisk = await startAsterisk({ runtimeDir, httpPort, sipPort, ariPassword });
  await eventually('the SIP gateway up again', () => sipUp(server), WAIT_MS);
  sms = await carrier(started.asterisk);
  started.carriers.push(sms);
  t.equal(await sms.text(from, 'after the restart'), 202, 'texts reach the controller again after Asterisk restarted');
  await eventually('the second text taken', async () => (taken(server, from).length === 2 ? true : undefined), WAIT_MS);

  // The controller stops: it unsubscribes, so Asterisk refuses texts and the carrier keeps them.
  await server.stop();
  t.equal(await sms.text(from, 'while the controller is away'), 404, 'refused while the controller is stopped (not accepted and lost)');
  server = started.server = await startServer({ env, dataDir: started.dataDir });
  await eventually('the SIP gateway up after the controller restarted', () => sipUp(server), WAIT_MS);
  t.equal(await sms.text(from, 'while the controller is away'), 202, "the carrier's next try is taken");
  await eventually('the text taken after the restart', async () => (taken(server, from).length === 1 ? true : undefined), WAIT_MS);
});
