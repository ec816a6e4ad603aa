import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Agent } from '../domain/directory.ts';
import type { SipCredentialStore } from '../domain/ports.ts';
import type { Ari } from './client.ts';
import { pushPjsipEndpoint, SIP_UDP_MEDIA, WEBRTC_MEDIA } from './pjsip-objects.ts';

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

  async push(ari: Ari, agents: Agent[]): Promise<void> {
    for (const agent of agents) {
      const browser = AgentEndpoints.browser(agent.id);
      const desk = AgentEndpoints.desk(agent.id);
      await pushPjsipEndpoint(ari, browser, await this.password(browser), 'from-internal-agents', WEBRTC_MEDIA);
      await pushPjsipEndpoint(ari, desk, await this.password(desk), 'from-internal-agents', SIP_UDP_MEDIA);
    }
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
