import type { Response } from 'express';
import type { ContactCenter } from '../domain/contact-center.ts';
import { notFound } from '../domain/errors.ts';

// A peer that reads nothing of a photo for a minute, or has not read all of it in ten, is cut: what it
// holds is given back. (A 10 MB photo at 256 kbit/s takes about 5.5 minutes.)
const SEND_IDLE_MS = 60_000;
const SEND_MAX_MS = 10 * 60_000;

// Photos are served as what their bytes are (sniffed on upload), never as HTML, and never sniffed again
// by the browser. `hold(bytes)`, when given, takes room for the photo while it is in memory (refusing
// when there is none) and returns what gives it back.
export async function sendAttachment(center: ContactCenter, interactionId: string, attachmentId: string, res: Response, hold?: (bytes: number) => () => void): Promise<void> {
  const entries = await center.timeline(interactionId, 0, ['attachment']);
  const info = entries.find((e) => e.attachment?.attachmentId === attachmentId)?.attachment;
  if (!info) throw notFound('attachment_not_found', 'No such photo in this chat.');
  if (hold) {
    if (res.closed) return; // the client left while the photo was looked up
    const release = hold(info.size);
    const deadline = setTimeout(() => res.destroy(), SEND_MAX_MS).unref();
    res.once('close', () => (clearTimeout(deadline), release()));
    res.setTimeout(SEND_IDLE_MS, () => res.destroy());
  }
  const bytes = await center.readAttachment(info.attachmentId);
  res.set({
    'Content-Type': info.contentType,
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; sandbox",
    'Content-Disposition': 'inline',
    'Cache-Control': 'private, max-age=86400',
  });
  res.send(bytes);
}
