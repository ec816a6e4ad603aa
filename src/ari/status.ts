import type { Agent } from '../domain/directory.ts';
import type { AriCallLegs } from './calls/call-legs.ts';
import type { AriSnoops } from './calls/snoops.ts';
import { callerOf } from './caller-id.ts';
import type { Ari } from './client.ts';
import { AgentEndpoints } from './endpoints/agent-endpoints.ts';

export interface EndpointStatus {
  agentId: string;
  endpoint: string;
  kind: 'browser' | 'desk';
  state: string; // online (registered), offline, unknown; "missing" when Asterisk does not have it
  channels: number;
}

export interface ChannelStatus {
  id: string;
  name: string;
  state: string;
  caller: string;
  createdAt: string | null;
  interactionId: string | null; // null: not a channel the controller placed
  role: ChannelRole | null;
}

// A supervisor's phone, and the snoop channel that feeds it (src/ari/calls/snoops.ts).
type ChannelRole = 'agent' | 'customer' | 'supervisor' | 'snoop';

export interface TelephonyStatus {
  endpoints: EndpointStatus[];
  channels: ChannelStatus[];
}

// Read-only view of the telephony for the admin page, and a new desk-phone password for /account.
// Throws when ARI is not reachable (the page says so).
export function telephonyAdmin(deps: { ari: () => Ari; connected: () => Ari | null; endpoints: AgentEndpoints; callLegs: AriCallLegs; snoops?: AriSnoops; agents: () => Promise<Agent[]> }) {
  return {
    async status(): Promise<TelephonyStatus> {
      const ari = deps.ari();
      const [agents, known, live] = await Promise.all([deps.agents(), ari.endpoints.listByTech({ tech: 'PJSIP' }), ari.channels.list()]);
      const byName = new Map(known.map((e) => [e.resource, e]));
      const endpoints = agents.flatMap((agent) =>
        (['browser', 'desk'] as const).map((kind) => {
          const endpoint = kind === 'browser' ? AgentEndpoints.browser(agent.id) : AgentEndpoints.desk(agent.id);
          const found = byName.get(endpoint);
          return { agentId: agent.id, endpoint, kind, state: found?.state ?? 'missing', channels: found?.channel_ids.length ?? 0 };
        }),
      );
      const ours = new Map<string, { interactionId: string; role: ChannelRole }>();
      for (const leg of deps.callLegs.legs.values()) {
        ours.set(leg.agentChannelId, { interactionId: leg.interactionId, role: 'agent' });
        ours.set(leg.customerChannelId, { interactionId: leg.interactionId, role: 'customer' });
      }
      for (const sv of deps.snoops?.supervisions.values() ?? []) {
        ours.set(sv.phoneChannelId, { interactionId: sv.interactionId, role: 'supervisor' });
        if (sv.snoopChannelId) ours.set(sv.snoopChannelId, { interactionId: sv.interactionId, role: 'snoop' });
      }
      const channels = live.map((c) => ({
        id: c.id,
        name: c.name,
        state: c.state,
        caller: callerOf(c),
        createdAt: c.creationtime ?? null,
        interactionId: ours.get(c.id)?.interactionId ?? null,
        role: ours.get(c.id)?.role ?? null,
      }));
      return { endpoints, channels };
    },
    hasDeskPassword(agentId: string): Promise<boolean> {
      return deps.endpoints.hasDeskPassword(agentId);
    },
    async newDeskPassword(agentId: string): Promise<{ endpoint: string; password: string }> {
      return deps.endpoints.renewDeskPassword(deps.ari(), agentId);
    },
    // Whether ARI is up or not: a password change must not wait for Asterisk, nor fail with it. A
    // disabled agent's is stored only: its endpoints stay out of Asterisk until it is enabled.
    lockDeskPassword(agent: Agent): Promise<void> {
      return deps.endpoints.lockDeskPassword(agent.disabled ? null : deps.connected(), agent.id);
    },
  };
}
