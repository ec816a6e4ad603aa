import type { Response } from 'express';
import type { ContactCenter } from '../domain/contact-center.ts';
import { notFound } from '../domain/errors.ts';

// Photos are served as what their bytes are (sniffed on upload), never as HTML, and never sniffed again
// by the browser.
export async function sendAttachment(center: ContactCenter, interactionId: string, attachmentId: string, res: Response): Promise<void> {
  const entries = await center.timeline(interactionId, 0, ['attachment']);
  const info = entries.find((e) => e.attachment?.attachmentId === attachmentId)?.attachment;
  if (!info) throw notFound('attachment_not_found', 'No such photo in this chat.');
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
