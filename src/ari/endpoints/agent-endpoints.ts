import type { Logger } from 'pino';
import type { Agent } from '../../domain/directory.ts';
import type { SipCredentialStore } from '../../domain/ports.ts';
import { KeyedQueue } from '../../domain/util/keyed-queue.ts';
import type { Ari } from '../client.ts';
import { ignoreNotFound } from '../errors.ts';
import { dropRegistrations, newSipPassword, pushPjsipEndpoint, SIP_UDP_MEDIA, sipDigest, WEBRTC_MEDIA, type PjsipField } from './pjsip-objects.ts';

// Agents text customers from the desktop, never from their phones. A text from an agent's phone goes to
// an empty context (extensions.conf): in the calls' context it started a Stasis "agent-dialed" on
// Asterisk's message channel. The controller, which watches agent endpoints, drops their texts.
const AGENT_TEXTS = 'from-agents-texts';

// Agent endpoints follow the agent list, through ARI dynamic configuration (sorcery memory objects,
// see asterisk-config/sorcery.conf): every agent gets a browser endpoint "<agent>" (WebRTC over the
// web server's /sip proxy) and a desk-phone endpoint "<agent>-desk" (plain SIP/RTP over UDP). Memory
// objects vanish when Asterisk restarts, so this runs after every connect.
//
// Passwords are never kept: the store and Asterisk hold their digests. The softphone gets a new
// password each time the desktop asks for one (the page that asked last holds the phone; an earlier
// page of the same agent lost its registration to it anyway, one contact per AOR). A desk phone's
// password is made on the admin page and shown there once; until then its endpoint takes no password.
export class AgentEndpoints {
  readonly #credentials: SipCredentialStore;
  readonly #logger: Logger;
  // One push or renewal at a time per endpoint: a reconnect's push never overwrites a newer digest.
  readonly #queue: KeyedQueue;
  // Desk endpoints whose password was locked while Asterisk could not be told: their phones go at the
  // next connect.
  readonly #lockedAway = new Set<string>();

  constructor(credentials: SipCredentialStore, logger: Logger) {
    this.#credentials = credentials;
    this.#logger = logger;
    this.#queue = new KeyedQueue((err, endpoint) => logger.error({ err, endpoint }, 'pushing an agent endpoint failed'));
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
      for (const endpoint of AgentEndpoints.of(agent.id)) {
        await this.#queue.run(endpoint, async () => pushAgentEndpoint(ari, endpoint, (await this.#credentials.digest(endpoint)) ?? lockedDigest(endpoint)));
      }
    }
  }

  // A disabled agent's endpoints go from Asterisk, with the phones registered on them: nothing rings
  // for it or registers as it. Its digests stay in the store; enabling pushes the endpoints again.
  async remove(ari: Ari, agentId: string): Promise<void> {
    for (const endpoint of AgentEndpoints.of(agentId)) {
      await this.#queue.run(endpoint, async () => {
        await dropRegistrations(ari, endpoint).catch(ignoreNotFound);
        for (const objectType of ['endpoint', 'aor', 'auth']) {
          await ari.asterisk.deleteObject({ configClass: 'res_pjsip', objectType, id: endpoint }).catch(ignoreNotFound);
        }
      });
    }
    this.#logger.info({ agentId }, 'endpoints of a disabled agent removed');
  }

  // A restarted Asterisk reloads the registrations it kept in its database, those of browser phones
  // included, whose WebSocket died with the old process: calls sent there ring nothing, and a phone
  // registering again with the same contact would not replace them. They go, before phones come back.
  async dropBrowserRegistrations(ari: Ari, agents: Agent[]): Promise<void> {
    for (const agent of agents) {
      const endpoint = AgentEndpoints.browser(agent.id);
      await this.#queue.run(endpoint, () => dropRegistrations(ari, endpoint).then(() => undefined, ignoreNotFound));
    }
  }

  // The browser softphone's password, new at each ask. Asterisk gets it now when it is reachable, else
  // at the next connect (from the store).
  browserPassword(ari: Ari | null, agentId: string): Promise<string> {
    return this.renew(ari, AgentEndpoints.browser(agentId));
  }

  // A new desk-phone password, pushed to Asterisk, shown once by the caller. The old one stops working
  // at once, and the phone registered with it is dropped (its contact deleted), so it rings no more.
  async renewDeskPassword(ari: Ari, agentId: string): Promise<{ endpoint: string; password: string }> {
    const endpoint = AgentEndpoints.desk(agentId);
    const password = await this.renew(ari, endpoint);
    const dropped = await dropRegistrations(ari, endpoint);
    this.#logger.info({ endpoint, dropped }, 'new SIP password for a desk phone (shown once on /account)');
    return { endpoint, password };
  }

  // A password changed or reset ends the desk phone's: renewed unseen, its phone dropped. With ARI away
  // it is stored only (the next connect pushes every endpoint as stored).
  // Its phone is then dropped at the next connect (catchUp): a phone registered with the old password
  // would otherwise stay registered, and ring, until it registers again.
  async lockDeskPassword(ari: Ari | null, agentId: string): Promise<void> {
    const endpoint = AgentEndpoints.desk(agentId);
    const pushed = await this.renew(ari, endpoint).then(
      () => ari !== null,
      async (err: unknown) => {
        this.#logger.error({ err, endpoint }, 'pushing a renewed desk phone password failed: stored, Asterisk gets it at the next connect');
        return this.renew(null, endpoint).then(() => false);
      },
    );
    if (ari && pushed) await dropRegistrations(ari, endpoint);
    else this.#lockedAway.add(endpoint);
  }

  // After every connect, once the enabled agents' endpoints are pushed: what changed while ARI was away.
  // A disabled agent's endpoints still in Asterisk go (Asterisk kept them if it did not restart), and a
  // desk phone whose password was locked meanwhile is dropped.
  async catchUp(ari: Ari, disabled: readonly Agent[]): Promise<void> {
    if (disabled.length === 0 && this.#lockedAway.size === 0) return;
    const present = new Set((await ari.endpoints.listByTech({ tech: 'PJSIP' })).map((e) => e.resource));
    for (const agent of disabled) if (AgentEndpoints.of(agent.id).some((endpoint) => present.has(endpoint))) await this.remove(ari, agent.id);
    for (const endpoint of [...this.#lockedAway]) {
      await dropRegistrations(ari, endpoint).catch(ignoreNotFound);
      this.#lockedAway.delete(endpoint);
    }
  }

  async hasDeskPassword(agentId: string): Promise<boolean> {
    return (await this.#credentials.digest(AgentEndpoints.desk(agentId))) !== undefined;
  }

  private renew(ari: Ari | null, endpoint: string): Promise<string> {
    return this.#queue.run(endpoint, async () => {
      const password = newSipPassword();
      const digest = sipDigest(endpoint, password);
      // Asterisk first: a push that fails leaves the stored password (the one the phone has) in force,
      // not one nobody was shown that the next connect would push.
      if (ari) await pushAgentEndpoint(ari, endpoint, digest);
      await this.#credentials.setDigest(endpoint, digest);
      return password;
    });
  }
}

function pushAgentEndpoint(ari: Ari, endpoint: string, md5Cred: string): Promise<void> {
  const media: PjsipField[] = endpoint.endsWith('-desk') ? SIP_UDP_MEDIA : WEBRTC_MEDIA;
  return pushPjsipEndpoint(ari, endpoint, md5Cred, 'from-internal-agents', media, AGENT_TEXTS);
}

// The digest of a password nobody was given: the endpoint exists (calls try it, the admin page lists
// it) but no phone can register on it.
function lockedDigest(endpoint: string): string {
  return sipDigest(endpoint, newSipPassword());
}
