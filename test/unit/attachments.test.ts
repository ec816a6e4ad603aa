import t from 'tap';
import { expectDomainError, makeCenter, startChat } from '../helpers/fakes.ts';
import { JPEG, PNG } from '../helpers/images.ts';

const PDF_BYTES = new TextEncoder().encode('%PDF-1.7\n');

t.test('a file whose bytes are not an image is unsupported_media, and nothing is kept', async (t) => {
  const h = await makeCenter();
  const { interaction } = await startChat(h);
  await expectDomainError(
    t,
    h.center.addAttachment(interaction.id, { bytes: PDF_BYTES, sniffedType: 'application/pdf', declaredType: 'application/pdf', fileName: 'a.pdf' }),
    'unsupported_media',
    'not_an_image',
  );
  await expectDomainError(
    t,
    h.center.addAttachment(interaction.id, { bytes: PDF_BYTES, sniffedType: 'application/pdf', declaredType: 'image/png', fileName: 'fake.png' }),
    'unsupported_media',
    'not_an_image',
    'a file named and declared as an image is judged by its bytes',
  );
  await expectDomainError(
    t,
    h.center.addAttachment(interaction.id, { bytes: new Uint8Array([1, 2, 3]), sniffedType: undefined, declaredType: 'image/jpeg', fileName: 'x.jpg' }),
    'unsupported_media',
    'not_an_image',
  );
  await expectDomainError(
    t,
    h.center.addAttachment(interaction.id, { bytes: PDF_BYTES, sniffedType: 'image/svg+xml', declaredType: undefined, fileName: 'x.svg' }),
    'unsupported_media',
    'not_an_image',
    'SVG is not among the accepted images',
  );
  await h.store.settled();
  t.equal(h.attachments.files.size, 0, 'no file written');
  t.same(h.store.entriesOf(interaction.id), [], 'nothing on the timeline');
});

t.test('a declared type that differs from the sniffed one is unsupported_media type_mismatch', async (t) => {
  const h = await makeCenter();
  const { interaction } = await startChat(h);
  const err = await expectDomainError(
    t,
    h.center.addAttachment(interaction.id, { bytes: JPEG, sniffedType: 'image/jpeg', declaredType: 'image/png', fileName: 'photo.png' }),
    'unsupported_media',
    'type_mismatch',
  );
  t.match(err?.message, 'image/png', 'the message names the claimed type');
  t.match(err?.message, 'image/jpeg', 'and the real one');
  t.equal(h.attachments.files.size, 0);
});

t.test('image/jpg (and image/pjpeg) are accepted as aliases of image/jpeg', async (t) => {
  const h = await makeCenter();
  const { interaction } = await startChat(h);
  for (const declaredType of ['image/jpg', 'image/pjpeg', 'IMAGE/JPG', 'image/jpeg; charset=binary']) {
    const entry = await h.center.addAttachment(interaction.id, {
      bytes: JPEG,
      sniffedType: 'image/jpeg',
      declaredType,
      fileName: 'photo.jpg',
    });
    t.equal(entry.attachment?.contentType, 'image/jpeg', `${declaredType} accepted, kept as image/jpeg`);
  }
  await h.store.settled();
  t.equal(h.store.entriesOf(interaction.id).length, 4);
});

t.test('an accepted image is kept whole and shows on the timeline', async (t) => {
  const h = await makeCenter();
  const { interaction } = await startChat(h);
  const entry = await h.center.addAttachment(interaction.id, {
    bytes: PNG,
    sniffedType: 'image/png',
    declaredType: undefined,
    fileName: 'dashboard.png',
  });
  t.match(entry, {
    kind: 'attachment',
    author: 'customer',
    attachment: { contentType: 'image/png', size: PNG.byteLength, fileName: 'dashboard.png' },
  });
  const id = entry.attachment?.attachmentId ?? '';
  t.same(new Uint8Array(await h.center.readAttachment(id)), PNG, 'the bytes read back are the bytes sent');
  await h.store.settled();
  t.equal(h.store.entriesOf(interaction.id)[0]?.attachment?.attachmentId, id);
});

t.test('a photo sent again with its client id while the first is still being saved: one photo, one file', async (t) => {
  const h = await makeCenter();
  const { interaction } = await startChat(h);
  const send = () => h.center.addAttachment(interaction.id, { bytes: PNG, sniffedType: 'image/png', declaredType: undefined, fileName: 'dent.png', clientId: 'photo-1' });
  const [first, again] = await Promise.all([send(), send()]);
  t.equal(again.id, first.id, 'the retry is answered with the first photo');
  await h.store.settled();
  t.equal(h.store.entriesOf(interaction.id).length, 1, 'one entry on the timeline');
  t.same([...h.attachments.files.keys()], [first.attachment?.attachmentId], 'one file kept: the retry left no bytes nobody points to');
  const later = await send();
  t.equal(later.id, first.id, 'and once stored, still the first');
  t.equal(h.attachments.files.size, 1);
});

t.test('a very long file name is shortened, not refused', async (t) => {
  const h = await makeCenter();
  const { interaction } = await startChat(h);
  const entry = await h.center.addAttachment(interaction.id, {
    bytes: PNG,
    sniffedType: 'image/png',
    declaredType: 'image/png',
    fileName: `${'n'.repeat(500)}.png`,
  });
  t.equal(entry.attachment?.fileName.length, 200);
});

t.test('a file name with U+0000 is kept without it, not refused (PostgreSQL cannot hold it)', async (t) => {
  const h = await makeCenter();
  const { interaction } = await startChat(h);
  const entry = await h.center.addAttachment(interaction.id, { bytes: PNG, sniffedType: 'image/png', declaredType: 'image/png', fileName: 'car\u0000.png' });
  t.equal(entry.attachment?.fileName, 'car.png');
});

t.test('every accepted image type passes', async (t) => {
  const h = await makeCenter();
  const { interaction } = await startChat(h);
  for (const type of ['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/heic', 'image/avif']) {
    const entry = await h.center.addAttachment(interaction.id, { bytes: PNG, sniffedType: type, declaredType: type, fileName: 'x' });
    t.equal(entry.attachment?.contentType, type);
  }
});
