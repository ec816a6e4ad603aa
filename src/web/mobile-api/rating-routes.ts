import { Router } from 'express';
import type { Closure } from '../../domain/closure.ts';
import type { ContactCenter } from '../../domain/contact-center.ts';
import { bearerToken } from './routes.ts';
import { newRatingSchema, parseBody } from './schemas.ts';

// POST /api/v1/chats/{id}/rating: the customer rates the chat once it has ended, with its token.
export function ratingRouter(center: ContactCenter, closure: Closure): Router {
  const router = Router();
  router.post('/chats/:id/rating', async (req, res) => {
    const rec = await center.authorizeCustomer(String(req.params.id), bearerToken(req));
    const body = parseBody(newRatingSchema, req.body);
    const rating = await closure.rate(rec.id, body.score, body.comment);
    res.status(201).json({ score: rating.score, comment: rating.comment, rated_at: new Date(rating.ratedAt).toISOString() });
  });
  return router;
}
