import { Router, type Request, type Response } from 'express';
import type { ContactCenter } from '../../domain/contact-center.ts';
import { DomainError } from '../../domain/errors.ts';
import { callingNotConfigured } from '../../domain/guards.ts';
import type { MultimediaDesk } from '../../domain/multimedia.ts';
import type { CallRecordings } from '../../domain/call-recordings.ts';
import { statusOf } from '../http-errors.ts';
import type { DesktopPresenter } from './presenter.ts';

const agentOf = (req: Request) => req.agentSession!.agentId;
const idOf = (req: Request) => String(req.params.id);

// Call and video controls of the agent desktop. Each answers with the area it changed; a refused
// action answers its 4xx status with that area showing the reason (htmx is told to swap it anyway).
export function mediaRouter(opts: {
  center: ContactCenter;
  multimedia: MultimediaDesk;
  recordings: CallRecordings;
  presenter: DesktopPresenter;
  softphone: ((agentId: string) => Promise<{ username: string; password: string }>) | null;
}): Router {
  const { center, multimedia, presenter } = opts;
  const router = Router();

  // What the agent's own browser softphone needs to register; only ever sent to that agent. A POST
  // (with the page's CSRF token): it makes a new password, which another site's link must not do.
  router.post('/desktop/softphone', async (req, res) => {
    if (!opts.softphone) throw callingNotConfigured();
    const agentId = agentOf(req);
    const creds = await opts.softphone(agentId);
    res.set('Cache-Control', 'no-store').json({ path: '/sip', domain: 'contact-center', displayName: (await presenter.agentName(agentId)), iceServers: [], ...creds });
  });

  const answer = (fragment: 'call' | 'video', action: (agentId: string, id: string) => Promise<unknown>) => async (req: Request, res: Response) => {
    const agentId = agentOf(req);
    const id = idOf(req);
    let error: DomainError | undefined;
    try {
      await action(agentId, id);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      error = err;
    }
    const rec = await center.interactionForAgent(agentId, id);
    const html = fragment === 'call' ? await presenter.callFragment(rec, agentId, error?.message) : await presenter.videoFragment(rec, agentId, error?.message);
    // The video area is swapped inside its slot (#video-slot-{id}), which pushed fragments never replace.
    if (error) res.status(statusOf(error)).set('HX-Reswap', fragment === 'video' ? 'innerHTML' : 'outerHTML');
    res.type('html').send(html);
  };

  router.post('/desktop/interactions/:id/call', answer('call', (a, id) => multimedia.callCustomer(a, id)));
  router.post('/desktop/interactions/:id/release', answer('call', (a, id) => multimedia.releaseCall(a, id)));
  // Hold and Mute are toggles on the page (aria-pressed): the domain reads the live call to know which way.
  router.post('/desktop/interactions/:id/hold', answer('call', (a, id) => multimedia.toggleHold(a, id)));
  router.post('/desktop/interactions/:id/mute', answer('call', (a, id) => multimedia.toggleMute(a, id)));
  router.post('/desktop/interactions/:id/recording/pause', answer('call', (a, id) => opts.recordings.pause(a, id)));
  router.post('/desktop/interactions/:id/recording/resume', answer('call', (a, id) => opts.recordings.resume(a, id)));
  router.post('/desktop/interactions/:id/video/allow', answer('video', (a, id) => multimedia.allowVideo(a, id)));
  router.post('/desktop/interactions/:id/video/decline', answer('video', (a, id) => multimedia.declineVideo(a, id)));

  router.post('/desktop/interactions/:id/end-session', async (req, res) => {
    const agentId = agentOf(req);
    const rec = await center.endSession(agentId, idOf(req));
    res.type('html').send((await presenter.panelFragment(rec)) + (await presenter.listFragment(agentId, true)));
  });

  return router;
}
