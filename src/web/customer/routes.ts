import { Router } from 'express';
import type { ContactCenter } from '../../domain/contact-center.ts';
import { DomainError } from '../../domain/errors.ts';
import type { Views } from '../views.ts';

// The customer's mobile web client: a shell page; everything else goes through the public API.
export function customerRouter(center: ContactCenter, views: Views): Router {
  const router = Router();
  router.get('/m/:service', async (req, res) => {
    // An address mistyped or out of date is a page that says so, not the API's JSON.
    const service = await center.requireService(String(req.params.service)).catch((err: unknown) => {
      if (!(err instanceof DomainError && err.code === 'unknown_service')) throw err;
      res.status(404).type('html').send(views.render('mobile/unknown', {}));
      return null;
    });
    if (!service) return;
    // A disabled service's page says so at once; starting a chat there is refused by the API too.
    const closed = await center.serviceTakingChats(service.id).then(
      () => null,
      (err: unknown) => (err instanceof DomainError ? err.message : Promise.reject(err)),
    );
    res.status(closed ? 409 : 200).type('html').send(views.render('mobile/chat', { service, closed }));
  });
  return router;
}
