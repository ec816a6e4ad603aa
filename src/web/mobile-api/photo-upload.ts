import type { Request, Response } from 'express';
import multer from 'multer';
import { invalid, tooLarge } from '../../domain/errors.ts';
import { LIMITS } from '../../domain/limits.ts';
import { clientAddress } from '../client-address.ts';
import type { RateLimits } from '../rate-limits.ts';

// Photos are held in memory while they arrive (multer's memory storage), so they are counted against
// the abuse limits, with the room they take, before a byte of them is read.

// The multipart framing around the photo; the form carries nothing else worth more than a few bytes.
const FRAMING_BYTES = 16 * 1024;
const MAX_BODY_BYTES = LIMITS.attachmentMaxBytes + FRAMING_BYTES;
const MAX_MB = LIMITS.attachmentMaxBytes / 2 ** 20;

const parse = multer({
  storage: multer.memoryStorage(),
  limits: { fileSize: LIMITS.attachmentMaxBytes, files: 1, fields: 5, fieldSize: 1024, parts: 6 },
}).single('file');

// A customer who went away half-way is nobody's error: there is nobody left to answer, nothing to log.
// multer's own refusals (LIMIT_*) are mapped by the error handler; anything else the form parser
// throws is the body's fault (no boundary, cut short, a broken part header).
function uploadRefusal(req: Request, err: unknown): unknown {
  // (Its connection is gone; a request read to its end counts as destroyed too, so that says nothing.)
  if (req.socket.destroyed) return invalid('upload_cut_off', 'The photo was cut off on its way.');
  if (err instanceof multer.MulterError) return err;
  return invalid('malformed_multipart', 'The upload is not a well-formed multipart/form-data body.');
}

/** The photo of this request (field `file`), passed to `store` while its bytes are still held. */
export async function receivePhoto<T>(
  req: Request,
  res: Response,
  opts: { chatId: string; limits: RateLimits; store: (file: Express.Multer.File | undefined) => Promise<T> },
): Promise<T> {
  const declared = Number(req.get('content-length'));
  // A body sent in chunks says nothing of its size: room is held for the largest photo.
  const bytes = req.get('content-length') !== undefined && Number.isInteger(declared) ? declared : MAX_BODY_BYTES;
  if (bytes > MAX_BODY_BYTES) throw tooLarge('file_too_large', `A photo may be at most ${MAX_MB} MB.`);
  const release = await opts.limits.photo(opts.chatId, clientAddress(req), bytes);
  res.once('close', release); // an upload cut off half-way gives its room back too
  try {
    await new Promise<void>((resolve, reject) => parse(req, res, (err: unknown) => (err ? reject(uploadRefusal(req, err)) : resolve())));
    return await opts.store(req.file);
  } finally {
    release();
  }
}
