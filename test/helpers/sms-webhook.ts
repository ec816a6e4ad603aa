// The SMS webhook as an HTTP gateway calls it (signed POSTs to /api/v1/sms/*), and reads of a test
// server's SQLite database beside it (WAL: a reader beside the server is fine), for the SMS
// integration tests (sms-webhook.test.ts, sms-webhook-retries.test.ts).
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { TestServer } from './server.ts';

export const hmac = (secret: string, raw: string) => `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;

/** POSTs to the webhook: JSON (or a raw string), signed with `secret` unless `signature` says otherwise. */
export function smsWebhook(srv: Pick<TestServer, 'url'>, secret: string, path: 'inbound' | 'status', body: unknown, opts: { signature?: string | null } = {}) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const signature = opts.signature === undefined ? hmac(secret, raw) : opts.signature;
  if (signature !== null) headers['x-signature'] = signature;
  return fetch(`${srv.url}/api/v1/sms/${path}`, { method: 'POST', headers, body: raw });
}

export function queryIn<T>(dataDir: string, sql: string, ...params: Array<string | number>): T[] {
  const db = new DatabaseSync(join(dataDir, 'contact-center.sqlite'), { readOnly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** The customer's messages of a chat, in order. */
export const customerTextsIn = (dataDir: string, interactionId: string): string[] =>
  queryIn<{ text: string }>(dataDir, "SELECT text FROM timeline WHERE interaction_id = ? AND kind = 'message' AND author = 'customer' ORDER BY seq", interactionId).map((r) => r.text);
