// Photos sent again by the app (its answer lost on the way) with their client_id, against the real
// server: stored once, the first photo the answer; an id another message holds is refused.
import t from 'tap';
import { ApiClient, type MessageJson } from '../helpers/api-client.ts';
import { expectError } from '../helpers/api-errors.ts';
import { withServer } from '../helpers/fixtures.ts';
import { JPEG, PNG } from '../helpers/images.ts';
import { fetchOpenApi, undocumented } from '../helpers/openapi-check.ts';

const server = await withServer(t);
const api = new ApiClient(server.url);

t.test('a photo sent again with its client_id is stored once', async (t) => {
  const chat = await api.createChat();
  const tyre = { bytes: PNG, type: 'image/png', name: 'tyre.png' };
  const first = await api.upload(chat, tyre, { clientId: 'p-1' });
  t.equal(first.status, 201);
  const photo = (await first.json()) as MessageJson;
  t.equal(photo.client_id, 'p-1', 'the photo carries its client_id');
  // The app sends it again (the first answer was lost): nothing new is stored, whatever the bytes.
  const again = await api.upload(chat, { bytes: JPEG, type: 'image/jpeg', name: 'other.jpg' }, { clientId: 'p-1' });
  t.equal(again.status, 201, 'the repeat is answered like the first send');
  t.same(await again.json(), photo, 'with the first photo itself');
  const other = (await (await api.upload(chat, tyre, { clientId: 'p-2' })).json()) as MessageJson;
  t.not(other.attachment?.id, photo.attachment?.id, 'another client_id is another photo');

  await api.say(chat, 'here is the tyre', 'p-3');
  await expectError(t, await api.upload(chat, tyre, { clientId: 'p-3' }), 409, "a photo under a text's client_id", 'client_id_taken');
  await expectError(t, await api.upload(chat, tyre, { clientId: 'x'.repeat(101) }), 400, 'a client_id over 100 characters');
  await expectError(t, await api.upload(chat, tyre, { clientId: 'p\u00003' }), 400, 'a client_id with NUL', 'nul_character');
  t.same(
    (await api.messages(chat)).map((m) => [m.client_id, m.attachment?.id]),
    [
      ['p-1', photo.attachment?.id],
      ['p-2', other.attachment?.id],
      ['p-3', undefined],
    ],
    'the chat holds each photo once, the text under its own id, and nothing of the refused ones',
  );
  t.same(undocumented((await fetchOpenApi(server.url)).doc, api.recorder), [], 'every answer here is in the OpenAPI document');
});

t.test('a multipart body that is not well formed is refused as such (400 malformed_multipart), and stores nothing', async (t) => {
  const chat = await api.createChat();
  const path = `/api/v1/chats/${chat.id}/attachments`;
  const part = (boundary: string) => `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`;
  const bodies: Array<[what: string, type: string, body: string]> = [
    ['no boundary', 'multipart/form-data', part('b0') + 'png bytes\r\n--b0--\r\n'],
    ['cut short', 'multipart/form-data; boundary=b1', part('b1') + 'png bytes, and then nothing'],
    ['a broken part header', 'multipart/form-data; boundary=b2', '--b2\r\nContent-Disposition form-data name file\r\n\r\nbytes\r\n--b2--\r\n'],
  ];
  for (const [what, type, body] of bodies) {
    await expectError(t, await api.request('POST', path, { token: chat.token, headers: { 'content-type': type }, body }), 400, what, 'malformed_multipart');
  }
  t.same(await api.messages(chat), [], 'nothing stored');
  t.same(undocumented((await fetchOpenApi(server.url)).doc, api.recorder), [], 'every answer here is in the OpenAPI document');
});
