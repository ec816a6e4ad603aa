import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Agent } from '../domain/directory.ts';
import type { SipCredentialStore } from '../domain/ports.ts';
import type { Ari } from './client.ts';

type Field = { attribute: string; value: string };

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
      await this.pushOne(ari, AgentEndpoints.browser(agent.id), [
        { attribute: 'transport', value: 'transport-ws' },
        { attribute: 'webrtc', value: 'yes' },
        { attribute: 'allow', value: '!all,opus,ulaw' },
      ]);
      await this.pushOne(ari, AgentEndpoints.desk(agent.id), [
        { attribute: 'transport', value: 'transport-udp' },
        { attribute: 'allow', value: '!all,ulaw,alaw' },
        { attribute: 'direct_media', value: 'no' },
        { attribute: 'rtp_symmetric', value: 'yes' },
        { attribute: 'force_rport', value: 'yes' },
        { attribute: 'rewrite_contact', value: 'yes' },
      ]);
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

  private async pushOne(ari: Ari, id: string, endpointFields: Field[]): Promise<void> {
    const password = await this.password(id);
    const update = (objectType: string, fields: Field[]) =>
      ari.asterisk.updateObject({ configClass: 'res_pjsip', objectType, id, fields: { fields } });
    await update('auth', [
      { attribute: 'auth_type', value: 'digest' },
      { attribute: 'username', value: id },
      { attribute: 'password', value: password },
    ]);
    await update('aor', [
      { attribute: 'max_contacts', value: '1' },
      { attribute: 'remove_existing', value: 'yes' },
    ]);
    await update('endpoint', [
      ...endpointFields,
      { attribute: 'context', value: 'from-internal-agents' },
      { attribute: 'aors', value: id },
      { attribute: 'auth', value: id },
      { attribute: 'identify_by', value: 'auth_username' }, // only an authenticated request is this endpoint
    ]);
  }
}
