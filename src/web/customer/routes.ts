import { Router } from 'express';
import type { ContactCenter } from '../../domain/contact-center.ts';
import type { Views } from '../views.ts';

// The customer's mobile web client: a shell page; everything else goes through the public API.
export function customerRouter(center: ContactCenter, views: Views): Router {
  const router = Router();
  router.get('/m/:service', async (req, res) => {
    const service = await center.requireService(String(req.params.service));
    res.type('html').send(views.render('mobile/chat', { service }));
  });
  return router;
}
