import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Agent } from '../../domain/directory.ts';
import type { SipCredentialStore } from '../../domain/ports.ts';
import type { Ari } from '../client.ts';
import { ignoreNotFound } from '../errors.ts';
import { pushPjsipEndpoint, SIP_UDP_MEDIA, WEBRTC_MEDIA } from './pjsip-objects.ts';

// Agents text customers from the desktop, never from their phones. A text from an agent's phone goes to
// an empty context (extensions.conf): in the calls' context it started a Stasis "agent-dialed" on
// Asterisk's message channel. The controller, which watches agent endpoints, drops their texts.
const AGENT_TEXTS = 'from-agents-texts';

// Agent endpoints follow the agent list, through ARI dynamic configuration (sorcery memory objects,
// see asterisk-config/sorcery.conf): every agent gets a browser endpoint "<agent>" (WebRTC over the
// web server's /sip proxy) and a desk-phone endpoint "<agent>-desk" (plain SIP/RTP over UDP), each with a
// generated password. Memory objects vanish when Asterisk restarts, so this runs after every connect.
export class AgentEndpoints {
  readonly #credentials: SipCredentialStore;
  readonly #logger: Logger;

  constructor(credentials: SipCredentialStore, logger: Logger) {
    this.#credentials = credentials;
    this.#logger = logger;
  }

  static browser(agentId: string): string {
    return agentId;
  }

  static desk(agentId: string): string {
    return `${agentId}-desk`;
  }

  // Both of an agent's endpoints, in the order a call tries them.
  static of(this: void, agentId: string): string[] {
    return [AgentEndpoints.browser(agentId), AgentEndpoints.desk(agentId)];
  }

  async push(ari: Ari, agents: Agent[]): Promise<void> {
    for (const agent of agents) {
      const browser = AgentEndpoints.browser(agent.id);
      const desk = AgentEndpoints.desk(agent.id);
      await pushPjsipEndpoint(ari, browser, await this.password(browser), 'from-internal-agents', WEBRTC_MEDIA, AGENT_TEXTS);
      await pushPjsipEndpoint(ari, desk, await this.password(desk), 'from-internal-agents', SIP_UDP_MEDIA, AGENT_TEXTS);
    }
  }

  // A new desk-phone password, pushed to Asterisk, shown once by the caller. The old one stops working
  // at once, and the phone registered with it is dropped (its contact deleted), so it rings no more.
  async renewDeskPassword(ari: Ari, agentId: string): Promise<{ endpoint: string; password: string }> {
    const endpoint = AgentEndpoints.desk(agentId);
    const password = randomBytes(18).toString('base64url');
    await this.#credentials.set(endpoint, password);
    await pushPjsipEndpoint(ari, endpoint, password, 'from-internal-agents', SIP_UDP_MEDIA, AGENT_TEXTS);
    const dropped = await dropRegistrations(ari, endpoint);
    this.#logger.warn({ endpoint, dropped }, 'new SIP password for a desk phone (shown once on the admin page)');
    return { endpoint, password };
  }

  // The password of an endpoint, generated on first use. Desk-phone passwords are logged once, when
  // generated, for the admin who sets the phone up; browser ones reach only that agent's desktop.
  async password(endpoint: string): Promise<string> {
    const existing = await this.#credentials.get(endpoint);
    if (existing) return existing;
    const password = randomBytes(18).toString('base64url');
    await this.#credentials.set(endpoint, password);
    if (endpoint.endsWith('-desk')) this.#logger.warn({ endpoint, password }, 'generated SIP password for a desk phone (shown once)');
    return password;
  }
}

// Deletes the registered contacts of an AOR. The AOR lists their URIs; PJSIP names each contact
// "<aor>;@<md5 of its URI>" (res_pjsip location.c).
async function dropRegistrations(ari: Ari, aor: string): Promise<number> {
  const fields = await ari.asterisk.getObject({ configClass: 'res_pjsip', objectType: 'aor', id: aor });
  const uris = (fields.find((f) => f.attribute === 'contact')?.value ?? '').split(',').map((u) => u.trim()).filter(Boolean);
  for (const uri of uris) {
    const id = `${aor};@${createHash('md5').update(uri).digest('hex')}`;
    await ari.asterisk.deleteObject({ configClass: 'res_pjsip', objectType: 'contact', id }).catch(ignoreNotFound);
  }
  return uris.length;
}
