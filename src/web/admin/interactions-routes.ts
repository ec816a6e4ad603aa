import { Router, type Request, type Response } from 'express';
import type { Administration } from '../../domain/administration.ts';
import { closedPages, type ClosedInteraction } from '../../domain/closure-ports.ts';
import type { Closure } from '../../domain/closure.ts';
import { DomainError } from '../../domain/errors.ts';
import { reportRange, reportRow, type ReportRow } from '../../domain/interaction-report.ts';
import { statusOf } from '../http-errors.ts';
import type { Views } from '../views.ts';
import { toCsv } from './csv.ts';
import { utcDateTime } from '../time-format.ts';

const PAGE_ROWS = 500;
// The export reads this many at a time and sends each as it comes: any range, in bounded memory.
const CSV_PAGE_ROWS = 1_000;
const query = (req: Request, name: string) => (typeof req.query[name] === 'string' ? (req.query[name] as string) : '');
const seconds = (ms: number | null) => (ms === null ? null : Math.round(ms / 1000));
const clock = (ms: number | null) => {
  if (ms === null) return '—';
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};
// Until the client took what was sent (or went away): memory stays bounded however long the export.
const drained = (res: Response) =>
  new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done).on('close', done);
  });
const iso = (ms: number | null) => (ms === null ? '' : utcDateTime(ms));

// /admin/interactions (admins only, gated in admin/index.ts): ended interactions in a date range, and
// the same as CSV (/admin/interactions.csv) for a spreadsheet.
export function interactionsRouter(opts: { admin: Administration; closure: Closure; views: Views; now: () => number }): Router {
  const { admin, closure, views } = opts;
  const router = Router();

  // Service and agent names for the rows, read once per request.
  const namer = async () => {
    const [agents, services] = await Promise.all([admin.listAgents(), admin.listServices()]);
    const agentName = new Map(agents.map((a) => [a.id, a.displayName]));
    const serviceName = new Map(services.map((s) => [s.id, s.name]));
    return (closed: ClosedInteraction[]) =>
      closed.map(reportRow).map((r: ReportRow) => ({ ...r, service: serviceName.get(r.serviceId) ?? r.serviceId, agents: r.agentIds.map((id) => agentName.get(id) ?? id).join(', ') }));
  };
  const rangeOf = (req: Request) => reportRange(query(req, 'from'), query(req, 'to'), opts.now());

  router.get('/admin/interactions', async (req, res) => {
    const base = { title: 'Interactions', csrf: req.agentSession!.csrfToken };
    try {
      const range = rangeOf(req);
      const [named, closed] = await Promise.all([namer(), closure.listClosed({ from: range.from, to: range.to, limit: PAGE_ROWS + 1 })]);
      // One more than a page is read: "the first N are shown" only when more there are.
      const found = named(closed.slice(0, PAGE_ROWS));
      const shown = found.map((r) => ({ ...r, ended: iso(r.endedAt), chat: clock(r.chatMs), call: clock(r.callMs), video: clock(r.videoMs) }));
      const csvUrl = `/admin/interactions.csv?from=${range.fromDay}&to=${range.toDay}`;
      res.type('html').send(views.render('admin/interactions', { ...base, from: range.fromDay, to: range.toDay, rows: shown, csvUrl, capped: closed.length > PAGE_ROWS }));
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      res.status(statusOf(err)).type('html').send(views.render('admin/interactions', { ...base, from: query(req, 'from'), to: query(req, 'to'), rows: [], alert: err.message }));
    }
  });

  router.get('/admin/interactions.csv', async (req, res) => {
    const range = rangeOf(req);
    const named = await namer();
    const header = ['Interaction', 'Service', 'Agents', 'Channel', 'Customer', 'Started (UTC)', 'Ended (UTC)', 'Chat (s)', 'Calls (s)', 'Video (s)', 'Disposition', 'Notes', 'Rating', 'Rating comment'];
    res.set('Content-Disposition', `attachment; filename="interactions-${range.fromDay}-to-${range.toDay}.csv"`).set('Cache-Control', 'no-store');
    res.type('text/csv; charset=utf-8').write(toCsv([header]));
    for await (const page of closedPages((q) => closure.listClosed(q), range.from, range.to, CSV_PAGE_ROWS)) {
      const lines = named(page).map((r) => [
        r.id, r.service, r.agents, r.channel, r.customerName, iso(r.createdAt), iso(r.endedAt), seconds(r.chatMs), seconds(r.callMs), seconds(r.videoMs), r.disposition, r.notes, r.rating, r.ratingComment,
      ]);
      if (lines.length > 0) res.write(toCsv(lines));
      if (res.writableNeedDrain) await drained(res);
      if (res.destroyed) return; // the admin's browser went away
    }
    res.end();
  });

  return router;
}
