import { Router } from 'express';
import type { ContactCenter } from '../../domain/contact-center.ts';
import type { MultimediaDesk } from '../../domain/multimedia.ts';
import type { RateLimits } from '../rate-limits.ts';
import { parseVideoSignal } from '../video-signal.ts';
import { bearerToken } from './routes.ts';

// The customer's side of video signaling: the browser's mediasoup-client asks, the rules decide whether
// this chat's customer may (the video must be running), the SFU answers. Body and answer are JSON.
export function mobileVideoRouter(center: ContactCenter, multimedia: MultimediaDesk, limits: RateLimits): Router {
  const router = Router();
  router.post('/chats/:id/video/signal', async (req, res) => {
    const rec = await center.authorizeCustomer(String(req.params.id), bearerToken(req));
    const request = parseVideoSignal(req.body);
    if (request.op === 'create_transport') await limits.videoTransport(rec.id);
    res.set('Cache-Control', 'no-store').json(await multimedia.videoSignal(rec.id, 'customer', undefined, request));
  });
  return router;
}
