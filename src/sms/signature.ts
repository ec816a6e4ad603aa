import { createHmac, timingSafeEqual } from 'node:crypto';

// `X-Signature: sha256=<hex HMAC-SHA256 of the raw body>` with the shared secret, both ways: gateways
// sign what they post to us, and we sign what we post to them.
export const SIGNATURE_HEADER = 'x-signature';

export function sign(secret: string, body: string | Uint8Array): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export type SignatureCheck = 'ok' | 'missing' | 'bad';

export function checkSignature(secret: string, header: string | undefined, body: Uint8Array): SignatureCheck {
  if (header === undefined || header.trim() === '') return 'missing';
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!match) return 'bad';
  const given = Buffer.from(match[1]!, 'hex');
  const expected = createHmac('sha256', secret).update(body).digest();
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'ok' : 'bad';
}
