// The HTTP SMS gateway adapter against a local HTTP server: what a misconfigured gateway URL does.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import t from 'tap';
import { HttpSmsGateway } from '../../src/sms/http-gateway.ts';

const SMS = { id: 'reply-1', from: '+15550009000', to: '+15551234567', text: 'A tow truck is on its way.', segments: 1 };

t.test('a gateway that redirects is not followed: the reply is not taken as sent, and the error says where it points', async (t) => {
  const asked: string[] = [];
  const server = createServer((req, res) => {
    asked.push(`${req.method} ${req.url}`);
    if (req.url === '/send') res.writeHead(301, { location: '/v2/send?key=secret' }).end();
    else res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"queued"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const { port } = server.address() as AddressInfo;
  const gateway = new HttpSmsGateway({ url: `http://127.0.0.1:${port}/send`, secret: 'shh' });
  await t.rejects(gateway.send(SMS), { message: `SMS gateway redirected (HTTP 301) to http://127.0.0.1:${port}/v2/send: set SMS_GATEWAY_URL to where it sends` });
  t.same(asked, ['POST /send'], 'no GET without the text went to where it pointed');
});

t.test('an SMS_GATEWAY_URL that is not a URL fails without repeating it (it may hold credentials)', async (t) => {
  let failure: unknown;
  try {
    new HttpSmsGateway({ url: 'https://gw-user:api-key-123@gateway.example:99999/send', secret: 'shh' });
  } catch (err) {
    failure = err;
  }
  t.match(failure, { message: /SMS_GATEWAY_URL is not a valid URL/ });
  t.notMatch(inspect(failure), /api-key-123/, 'the error as printed at start-up holds no credential');
});
