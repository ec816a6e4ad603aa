import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Administration } from '../../domain/administration.ts';
import { DomainError, FormError } from '../../domain/errors.ts';
import { statusOf } from '../http-errors.ts';
import type { Views } from '../views.ts';

// What the admin pages share: the admins-only gate, reading form fields, and turning a refusal into
// the same page with each message next to its field (nothing was changed).

// After requireAgent: the session's agent must be an enabled admin, checked on every request (a role
// taken away counts at once). Others get a 403 page.
export function adminsOnly(admin: Administration, views: Views): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    admin.requireAdmin(req.agentSession!.agentId).then(
      () => next(),
      (err: unknown) => {
        if (!(err instanceof DomainError)) return next(err);
        res.status(statusOf(err)).type('html').send(views.render('admin/refused', { title: 'Not allowed', csrf: req.agentSession!.csrfToken, message: err.message }));
      },
    );
  };
}

type Body = Record<string, unknown>;
const bodyOf = (req: Request): Body => (req.body ?? {}) as Body;

export function text(req: Request, name: string): string {
  const value = bodyOf(req)[name];
  return typeof value === 'string' ? value : '';
}

// A checkbox is sent only when ticked.
export function ticked(req: Request, name: string): boolean {
  return bodyOf(req)[name] !== undefined;
}

// Repeated fields (one checkbox per service) arrive as an array, a single one as a string.
export function list(req: Request, name: string): string[] {
  const value = bodyOf(req)[name];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return typeof value === 'string' ? [value] : [];
}

export interface Refusal {
  status: number;
  fields: Record<string, string>;
  alert: string | null;
}

// A FormError becomes messages by field; any other rule's refusal one alert on the page.
export function refusalOf(err: unknown): Refusal {
  if (err instanceof FormError) return { status: statusOf(err), fields: { ...err.fields }, alert: null };
  if (err instanceof DomainError) return { status: statusOf(err), fields: {}, alert: err.message };
  throw err;
}

export const pathId = (req: Request) => String(req.params.id);
export const actorOf = (req: Request) => req.agentSession!.agentId;
