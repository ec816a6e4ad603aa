import { Router, type Request } from 'express';
import type { Administration } from '../../domain/administration.ts';
import type { Closure } from '../../domain/closure.ts';
import { DomainError } from '../../domain/errors.ts';
import { reportRange, reportRow, type ReportRow } from '../../domain/interaction-report.ts';
import { statusOf } from '../http-errors.ts';
import type { Views } from '../views.ts';
import { toCsv } from './csv.ts';

const PAGE_ROWS = 500;
const CSV_ROWS = 50_000;
const query = (req: Request, name: string) => (typeof req.query[name] === 'string' ? (req.query[name] as string) : '');
const seconds = (ms: number | null) => (ms === null ? null : Math.round(ms / 1000));
const clock = (ms: number | null) => {
  if (ms === null) return '—';
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};
const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19));

// /admin/interactions (admins only, gated in admin/index.ts): ended interactions in a date range, and
// the same as CSV (/admin/interactions.csv) for a spreadsheet.
export function interactionsRouter(opts: { admin: Administration; closure: Closure; views: Views; now: () => number }): Router {
  const { admin, closure, views } = opts;
  const router = Router();

  const rows = async (req: Request, limit: number) => {
    const range = reportRange(query(req, 'from'), query(req, 'to'), opts.now());
    const [closed, agents, services] = await Promise.all([closure.listClosed({ from: range.from, to: range.to, limit }), admin.listAgents(), admin.listServices()]);
    const agentName = new Map(agents.map((a) => [a.id, a.displayName]));
    const serviceName = new Map(services.map((s) => [s.id, s.name]));
    const names = (r: ReportRow) => ({ service: serviceName.get(r.serviceId) ?? r.serviceId, agents: r.agentIds.map((id) => agentName.get(id) ?? id).join(', ') });
    return { range, rows: closed.map(reportRow).map((r) => ({ ...r, ...names(r) })) };
  };

  router.get('/admin/interactions', async (req, res) => {
    const base = { title: 'Interactions', csrf: req.agentSession!.csrfToken };
    try {
      const { range, rows: found } = await rows(req, PAGE_ROWS);
      const shown = found.map((r) => ({ ...r, ended: iso(r.endedAt), chat: clock(r.chatMs), call: clock(r.callMs), video: clock(r.videoMs) }));
      const csvUrl = `/admin/interactions.csv?from=${range.fromDay}&to=${range.toDay}`;
      res.type('html').send(views.render('admin/interactions', { ...base, from: range.fromDay, to: range.toDay, rows: shown, csvUrl, capped: found.length === PAGE_ROWS }));
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      res.status(statusOf(err)).type('html').send(views.render('admin/interactions', { ...base, from: query(req, 'from'), to: query(req, 'to'), rows: [], alert: err.message }));
    }
  });

  router.get('/admin/interactions.csv', async (req, res) => {
    const { range, rows: found } = await rows(req, CSV_ROWS);
    const header = ['Interaction', 'Service', 'Agents', 'Channel', 'Customer', 'Started (UTC)', 'Ended (UTC)', 'Chat (s)', 'Calls (s)', 'Video (s)', 'Disposition', 'Notes', 'Rating', 'Rating comment'];
    const lines = found.map((r) => [
      r.id, r.service, r.agents, r.channel, r.customerName, iso(r.createdAt), iso(r.endedAt), seconds(r.chatMs), seconds(r.callMs), seconds(r.videoMs), r.disposition, r.notes, r.rating, r.ratingComment,
    ]);
    res.set('Content-Disposition', `attachment; filename="interactions-${range.fromDay}-to-${range.toDay}.csv"`).set('Cache-Control', 'no-store');
    res.type('text/csv; charset=utf-8').send(toCsv([header, ...lines]));
  });

  return router;
}
