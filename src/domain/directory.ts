// Services customers reach and the agents who serve them.
export interface Service {
  id: string;
  name: string;
  autoDial: boolean;
}

// An admin also sees every agent's phones and every live call on /admin/telephony.
export type AgentRole = 'agent' | 'admin';

export interface Agent {
  id: string;
  displayName: string;
  passwordHash: string;
  serviceIds: string[];
  role: AgentRole;
}
