import { Router, type Request } from 'express';
import { unauthorized } from '../../domain/errors.ts';
import type { MultimediaDesk } from '../../domain/multimedia.ts';
import { parseVideoSignal } from '../video-signal.ts';

// The agent's side of video signaling (JSON in, JSON out), behind the desktop's login and CSRF checks
// (mounted after desktopRouter, which runs them for every /desktop path), and the running room's
// counts for the agent's own chat (diagnostics and leak checks).
export function desktopVideoRouter(multimedia: MultimediaDesk): Router {
  const router = Router();
  const agentOf = (req: Request) => {
    const session = req.agentSession;
    if (!session) throw unauthorized('not_logged_in', 'Log in first.');
    return session.agentId;
  };

  router.post('/desktop/interactions/:id/video/signal', async (req, res) => {
    const agentId = agentOf(req);
    const request = parseVideoSignal(req.body);
    res.set('Cache-Control', 'no-store').json(await multimedia.videoSignal(String(req.params.id), 'agent', agentId, request));
  });

  router.get('/desktop/interactions/:id/video/dump', async (req, res) => {
    res.set('Cache-Control', 'no-store').json(await multimedia.videoDump(agentOf(req), String(req.params.id)));
  });

  return router;
}
