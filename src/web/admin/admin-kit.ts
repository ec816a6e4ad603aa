import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import type { Administration } from '../../domain/administration.ts';
import { DomainError, FormError } from '../../domain/errors.ts';
import { statusOf } from '../http-errors.ts';
import type { Views } from '../views.ts';

// What the admin pages share: the admins-only gate, reading form fields, and turning a refusal into
// the same page with each message next to its field (nothing was changed).

// After requireAgent: the session's agent must hold the role `check` asks for, checked on every request
// (a role taken away counts at once). Others get a 403 page.
function roleGate(check: (agentId: string) => Promise<unknown>, views: Views): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    check(req.agentSession!.agentId).then(
      () => next(),
      (err: unknown) => {
        if (!(err instanceof DomainError)) return next(err);
        res.status(statusOf(err)).type('html').send(views.render('admin/refused', { title: 'Not allowed', csrf: req.agentSession!.csrfToken, message: err.message }));
      },
    );
  };
}

export const adminsOnly = (admin: Administration, views: Views): RequestHandler => roleGate((id) => admin.requireAdmin(id), views);

// The supervisor's pages and actions: supervisors and admins.
export const supervisorsOnly = (admin: Administration, views: Views): RequestHandler => roleGate((id) => admin.requireSupervisor(id), views);

type Body = Record<string, unknown>;
const bodyOf = (req: Request): Body => (req.body ?? {}) as Body;

// A field as text: a form sends strings; a JSON client (a script) may send a number.
export function text(req: Request, name: string): string {
  const value = bodyOf(req)[name];
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return typeof value === 'string' ? value : '';
}

// A field's text, or undefined when the request did not send it (its record keeps its value).
export function sent(req: Request, name: string): string | undefined {
  const value = bodyOf(req)[name];
  return typeof value === 'string' || typeof value === 'number' ? text(req, name) : undefined;
}

// A form sends a checkbox only when ticked ("on"); a JSON client says true or false.
export function ticked(req: Request, name: string): boolean {
  const value = bodyOf(req)[name];
  return value === true || (typeof value === 'string' && value !== '' && value !== 'false' && value !== 'off');
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

// A page, answered with the status of the refusal it shows (200 without one).
export function sendPage(res: Response, refusal: Refusal | undefined, html: string): void {
  res.status(refusal?.status ?? 200).type('html').send(html);
}
export const actorOf = (req: Request) => req.agentSession!.agentId;

// What a list page shows above its table: what just happened (a password shown once), or why not.
export interface ListExtra {
  notice?: string;
  refusal?: Refusal;
  password?: { username: string; password: string };
}
export type ListPage = (req: Request, res: Response, extra?: ListExtra) => Promise<void>;

// A list of records with Add and Edit forms: GET the list, the empty form, a record's form; POST a new
// record or an edit. A refusal answers the form again, with what was typed and the messages.
export function recordRoutes<V>(
  router: Router,
  p: {
    base: string;
    empty: V;
    // `editing`: the id in the path, which an edit never changes.
    read(req: Request, editing: string | null): V;
    load(id: string): Promise<V>;
    list: ListPage;
    form(req: Request, res: Response, values: V, editing: string | null, refusal?: Refusal): Promise<void> | void;
    save(req: Request, values: V, editing: string | null): Promise<ListExtra>;
    // What a refused form shows again (never a typed password).
    retyped?(values: V): V;
  },
): void {
  router.get(p.base, (req, res) => p.list(req, res));
  router.get(`${p.base}/new`, (req, res) => p.form(req, res, p.empty, null));
  router.get(`${p.base}/:id/edit`, async (req, res) => p.form(req, res, await p.load(pathId(req)), pathId(req)));
  for (const path of [p.base, `${p.base}/:id`]) {
    router.post(path, async (req, res) => {
      const editing = req.params.id === undefined ? null : pathId(req);
      const values = p.read(req, editing);
      let extra: ListExtra;
      try {
        extra = await p.save(req, values, editing);
      } catch (err) {
        return p.form(req, res, p.retyped ? p.retyped(values) : values, editing, refusalOf(err));
      }
      await p.list(req, res, extra);
    });
  }
}

// Disable and Enable in a row of a list: the list answers, saying what happened or why not.
export function disableEnableRoutes(router: Router, base: string, act: (req: Request, disabled: boolean) => Promise<string>, list: ListPage): void {
  for (const [action, disabled] of [['disable', true], ['enable', false]] as const) {
    router.post(`${base}/:id/${action}`, async (req, res) => {
      let notice: string;
      try {
        notice = await act(req, disabled);
      } catch (err) {
        return list(req, res, { refusal: refusalOf(err) });
      }
      await list(req, res, { notice });
    });
  }
}
