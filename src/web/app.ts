import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import compression from 'compression';
import express, { type Express, type NextFunction, type Request, type Response, type Router } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { ContactCenter } from '../domain/contact-center.ts';
import { checkNoNulInFields } from '../domain/chat-rules.ts';
import { invalid, notFound } from '../domain/errors.ts';
import type { MultimediaDesk } from '../domain/multimedia.ts';
import type { CallRecordings } from '../domain/call-recordings.ts';
import type { Administration } from '../domain/administration.ts';
import type { Floor } from '../domain/floor.ts';
import type { Closure } from '../domain/closure.ts';
import type { HandoffDesk } from '../domain/handoff-desk.ts';
import { accountRouter } from './account-routes.ts';
import { administrationRouter } from './admin/index.ts';
import type { TelephonyAdmin } from './admin/telephony-routes.ts';
import { authRouter } from './auth.ts';
import { ClientBundles } from './client-bundles.ts';
import { customerRouter } from './customer/routes.ts';
import { DesktopPresenter, type SmsDeliveries } from './desktop/presenter.ts';
import { closureRouter } from './desktop/closure-routes.ts';
import { handoffRouter } from './desktop/handoff-routes.ts';
import { mediaRouter } from './desktop/media-routes.ts';
import { desktopVideoRouter } from './desktop/video-routes.ts';
import { desktopRouter } from './desktop/routes.ts';
import { liveLeg } from '../domain/interaction.ts';
import { errorHandler } from './http-errors.ts';
import type { Metrics } from './metrics.ts';
import { metricsAccess } from './metrics-access.ts';
import { mobileApiRouter, type SimulatedPhones } from './mobile-api/routes.ts';
import { mobileVideoRouter } from './mobile-api/video-routes.ts';
import { ratingRouter } from './mobile-api/rating-routes.ts';
import { openApiDocument } from './openapi.ts';
import { recordingsRouter } from './recordings.ts';
import type { RateLimits } from './rate-limits.ts';
import type { SessionRegistry } from './sessions.ts';
import type { SupervisionDesk } from '../domain/supervision-desk.ts';
import { snoopRouter } from './supervisor/snoop-routes.ts';
import { supervisorRouter } from './supervisor/index.ts';
import { SupervisorPresenter } from './supervisor/presenter.ts';
import { Views } from './views.ts';

const require = createRequire(import.meta.url);
const PUBLIC_DIR = new URL('../../public/', import.meta.url).pathname;
const pkgDir = (name: string) => dirname(require.resolve(`${name}/package.json`));

// Each part: its state ('up', 'down', 'not_configured'), a line for humans, and any counts it has.
export type HealthCheck = () => Promise<Record<string, { state: string; detail?: string; [count: string]: unknown }>>;

export interface WebAppDeps {
  center: ContactCenter;
  admin: Administration;
  // Wrap-up and ratings (domain/closure.ts).
  closure: Closure;
  // Transfers between agents (domain/handoff-desk.ts).
  handoffs: HandoffDesk;
  // What supervisors read: live interactions and the wallboard (/supervisor).
  floor: Floor;
  multimedia: MultimediaDesk;
  recordings: CallRecordings;
  // Listen / Whisper / Barge / Stop (absent: no supervisor's call page).
  supervision?: SupervisionDesk;
  sessions: SessionRegistry;
  metrics: Metrics;
  logger: Logger;
  health: HealthCheck;
  mapTileUrl: string;
  // The browser softphone's SIP credentials for an agent, when calling is configured.
  softphone: ((agentId: string) => Promise<{ username: string; password: string }>) | null;
  simulatedPhones: SimulatedPhones | null;
  // The /admin/telephony page's view of Asterisk and /account's desk phone password, when calling is configured.
  telephonyAdmin?: TelephonyAdmin | null;
  trustProxy: string | undefined;
  // Bearer token of /metrics; unset: loopback only.
  metricsToken?: string;
  rateLimits: RateLimits;
  // SMS gateways' webhook (mounted at /api/v1/sms, reads its own raw body) and reply delivery statuses.
  sms?: { webhook: Router; deliveries: SmsDeliveries };
}

export function createWebApp(deps: WebAppDeps): { app: Express; presenter: DesktopPresenter; supervisor: SupervisorPresenter } {
  const { center, multimedia, sessions, logger } = deps;
  const views = new Views();
  const presenter = new DesktopPresenter(center, multimedia, deps.closure, views, deps.mapTileUrl, deps.sms?.deliveries);
  const supervisor = new SupervisorPresenter({ floor: deps.floor, center, admin: deps.admin, desk: presenter, loggedIn: () => sessions.loggedInAgents(), supervision: deps.supervision });
  const app = express();
  app.disable('x-powered-by');
  if (deps.trustProxy) app.set('trust proxy', trustProxyValue(deps.trustProxy));

  const tileOrigin = originOf(deps.mapTileUrl);
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"], // Leaflet positions tiles and markers with inline styles
          imgSrc: ["'self'", 'data:', 'blob:', ...(tileOrigin ? [tileOrigin] : [])],
          // Own origin only: since CSP3 'self' also covers ws:/wss: to the same host (the desktop's
          // socket, the softphone's /sip), and nothing else may be reached from these pages.
          connectSrc: ["'self'"],
          upgradeInsecureRequests: null,
        },
      },
      strictTransportSecurity: false, // only over HTTPS: below
    }),
  );
  // A page reached over HTTPS (served here, or through a trusted proxy's X-Forwarded-Proto) tells the
  // browser to come back over HTTPS only, so a link typed or followed as http:// cannot be stripped.
  app.use((req, res, next) => {
    if (req.secure) res.setHeader('Strict-Transport-Security', 'max-age=31536000');
    next();
  });
  app.use(compression());
  if (deps.sms) app.use('/api/v1/sms', deps.sms.webhook); // before the JSON parser: signed over the raw body
  app.use(express.json({ limit: '64kb' }));
  app.use(express.urlencoded({ extended: false, limit: '64kb' }));
  app.use(refuseNulInUrls);
  app.use(refuseNulInForms);

  app.use('/public', express.static(PUBLIC_DIR, { maxAge: '1h' }));
  app.use('/client', new ClientBundles({ 'softphone.js': 'softphone.js', 'video.js': 'video.js', 'sms.js': 'sms.js' }).handler());
  app.get('/vendor/htmx.min.js', (_req, res) => res.sendFile(join(pkgDir('htmx.org'), 'dist/htmx.min.js')));
  app.get('/vendor/htmx-ext-ws.min.js', (_req, res) => res.sendFile(join(pkgDir('htmx-ext-ws'), 'dist/ws.min.js')));
  app.use('/vendor/leaflet', express.static(join(pkgDir('leaflet'), 'dist'), { maxAge: '1d' }));
  // Everything below is per person (agents' pages, chats, sessions): no cache, shared or private, keeps it.
  app.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  // The status code says whether this node can serve (a load balancer's check: deploy/haproxy.cfg),
  // which needs its database; telephony, video and SMS are shared by every node (one Asterisk), so
  // their outage must not take all nodes out of the balancer at once: the body says "degraded".
  app.get('/healthz', async (_req, res) => {
    const parts = await deps.health();
    // standby: a follower's part that runs on the leader (its video).
    const healthy = Object.values(parts).every((p) => p.state === 'up' || p.state === 'not_configured' || p.state === 'standby');
    res.status(parts.database?.state === 'up' ? 200 : 503).json({ status: healthy ? 'ok' : 'degraded', ...parts });
  });
  app.get('/metrics', metricsAccess(deps.metricsToken), async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  app.get('/api/v1/openapi.json', (_req, res) => res.json(openApiDocument));
  app.use('/api/v1', mobileApiRouter(center, multimedia, deps.simulatedPhones, deps.rateLimits, deps.closure));
  app.use('/api/v1', mobileVideoRouter(center, multimedia, deps.rateLimits));
  app.use('/api/v1', ratingRouter(center, deps.closure));
  app.use('/api/v1', (req) => {
    throw notFound('no_such_endpoint', `No endpoint ${req.method} ${req.path}.`);
  });

  app.get('/', (_req, res) => res.redirect(303, '/desktop'));
  app.use(customerRouter(center, views));
  app.use(authRouter({ center, sessions, views, throttle: deps.rateLimits.login, logger }));
  app.use(desktopRouter({ center, sessions, presenter }));
  // After desktopRouter, whose guard (session, CSRF) covers every /desktop path.
  app.use(closureRouter({ center, closure: deps.closure, presenter }));
  app.use(handoffRouter({ handoffs: deps.handoffs, presenter }));
  app.use(mediaRouter({ center, multimedia, recordings: deps.recordings, presenter, softphone: deps.softphone }));
  app.use(recordingsRouter({ recordings: deps.recordings, sessions }));
  app.use(desktopVideoRouter(multimedia));
  app.use(administrationRouter({ admin: deps.admin, closure: deps.closure, sessions, views, telephony: deps.telephonyAdmin ?? null }));
  app.use(supervisorRouter({ admin: deps.admin, center, sessions, views, presenter: supervisor }));
  if (deps.supervision) app.use(snoopRouter({ center, supervision: deps.supervision, admin: deps.admin, sessions, views }));
  const onCall = (agentId: string) => center.openInteractionsOf(agentId).some((rec) => rec.agentId === agentId && liveLeg(rec) !== undefined);
  app.use(accountRouter({ admin: deps.admin, sessions, views, throttle: deps.rateLimits.login, telephony: deps.telephonyAdmin ?? null, onCall, logger }));

  app.use((req, res) => {
    res.status(404).json({ error: { code: 'not_found', message: `Nothing at ${req.method} ${req.path}.` } });
  });
  app.use(errorHandler(logger));
  return { app, presenter, supervisor };
}

// Every form and JSON body (the agents' and admins' forms, the customers' API): U+0000 in any field is
// refused (400 nul_character, chat-rules.ts checkNoNul) before a route reads it, so no store is asked
// to keep what PostgreSQL cannot, nor to look up an id it cannot hold. The SMS webhook, which reads
// its body raw, checks its own.
function refuseNulInForms(req: Request, _res: Response, next: NextFunction): void {
  if (req.is('application/x-www-form-urlencoded') || req.is('application/json')) checkNoNulInFields(req.body);
  next();
}

// U+0000 in a path or a query (an id, History's cursor) is no id of ours: refused before any store is
// asked for it (PostgreSQL would refuse the text).
function refuseNulInUrls(req: Request, _res: Response, next: NextFunction): void {
  if (/%00/.test(req.originalUrl)) throw invalid('nul_character', 'The address must not contain the character U+0000 (NUL).');
  next();
}

// TRUST_PROXY accepts what express accepts: a hop count, "true", or addresses/subnets ("loopback").
function trustProxyValue(value: string): boolean | number | string {
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url.replace(/\{[a-z]\}/g, 'a')).origin;
  } catch {
    return undefined;
  }
}
