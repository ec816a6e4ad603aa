import { Router, type Request } from 'express';
import type { CallRecordings } from '../domain/call-recordings.ts';
import { requireAgent } from './auth.ts';
import type { SessionRegistry } from './sessions.ts';

// Call recordings, to the agents of the interaction, supervisors and admins (the domain decides who:
// others get 403, an unknown or deleted recording 404; a customer's token opens none). Byte ranges are
// answered 206 so a player can seek; the range is read from the store, not the whole file.
export function recordingsRouter(opts: { recordings: CallRecordings; sessions: SessionRegistry }): Router {
  const { recordings } = opts;
  const router = Router();

  router.get('/recordings/:id', requireAgent(opts.sessions), async (req, res) => {
    const id = String(req.params.id);
    const file = await recordings.playable(req.agentSession!.agentId, id);
    res.set({
      'Content-Type': file.contentType,
      'Accept-Ranges': 'bytes',
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; sandbox",
      'Content-Disposition': 'inline',
      // Bytes as stored: no compression in between, whose lengths would not match the ranges.
      'Cache-Control': 'private, no-cache, no-transform',
    });
    const ranges = wholeFileSuffix(req.get('Range'), file.size) ?? req.range(file.size, { combine: true });
    if (ranges === -1) return void res.status(416).set('Content-Range', `bytes */${file.size}`).end();
    const range = Array.isArray(ranges) && ranges.type === 'bytes' && ranges.length === 1 ? ranges[0]! : undefined;
    const bytes = await recordings.read(id, range);
    if (range) res.status(206).set('Content-Range', `bytes ${range.start}-${range.end}/${file.size}`);
    res.set('Content-Length', String(bytes.byteLength)).end(bytes);
  });

  return router;
}

type Ranges = Exclude<ReturnType<Request['range']>, number | undefined>;

// express's req.range (range-parser) answers -1 (unsatisfiable) or -2 (malformed: the whole file is
// sent), and refuses a suffix longer than the file, which RFC 7233 (2.1) says is the whole file: a
// player asking for "the last 64 KiB" of a short recording gets it all, not 416.

function wholeFileSuffix(header: string | undefined, size: number): Ranges | undefined {
  const suffix = /^bytes=\s*-(\d+)\s*$/.exec(header ?? '')?.[1];
  if (suffix === undefined || size === 0 || Number(suffix) <= size) return undefined;
  return Object.assign([{ start: 0, end: size - 1 }], { type: 'bytes' });
}
