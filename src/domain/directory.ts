// Services customers reach and the agents who serve them.
export interface Service {
  id: string;
  name: string;
  autoDial: boolean;
  // The number customers text to reach this service (E.164), one service per number.
  smsNumber?: string | null;
  recordCalls?: boolean;
  // The wallboard's service level: the share of chats accepted within this many seconds (default 20).
  serviceLevelSeconds?: number;
  // Closure (wrap-up.ts): the codes an agent picks at Done, the wrap-up time and where the agent goes
  // when it runs out, and the canned responses of the composer (placeholders {customer_name}, {agent_name}).
  dispositionCodes?: string[];
  wrapUpSeconds?: number;
  afterWrapUp?: 'ready' | 'not_ready';
  cannedResponses?: string[];
  // A disabled service takes no new chats; chats in progress finish normally.
  disabled?: boolean;
}

// An admin manages services and agents and sees every agent's phones and every live call on
// /admin/telephony (every role makes its own desk phone password on /account); a supervisor watches the floor (its pages come with the supervision issue).
export const AGENT_ROLES = ['agent', 'supervisor', 'admin'] as const;
export type AgentRole = (typeof AGENT_ROLES)[number];

// Who watches the floor (/supervisor, Listen / Whisper / Barge, every recording): enabled supervisors
// and admins.
export function watchesTheFloor(agent: Pick<Agent, 'role' | 'disabled'> | undefined): boolean {
  return agent !== undefined && !agent.disabled && (agent.role === 'supervisor' || agent.role === 'admin');
}

export interface Agent {
  id: string;
  displayName: string;
  passwordHash: string;
  serviceIds: string[];
  role: AgentRole;
  // A disabled agent cannot log in, and is offered nothing.
  disabled?: boolean;
}

// One administrative change, as /admin/audit lists it. `before` and `after` never hold a password or
// its hash (see auditView in administration.ts).
export interface AuditEntry {
  seq: number;
  at: number;
  actor: string;
  action: string;
  targetKind: 'service' | 'agent';
  targetId: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

export type NewAuditEntry = Omit<AuditEntry, 'seq'>;
