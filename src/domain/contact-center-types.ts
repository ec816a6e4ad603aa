import type { DomainEvents } from './events.ts';
import type { MediaCapabilities } from './guards.ts';
import type { Channel, Customer, CustomerContext, InteractionRecord, Party } from './interaction.ts';
import type { Interactions } from './interactions.ts';
import type { AgentPresenceStore, AttachmentStore, Clock, Directory, InteractionStore, Timers } from './ports.ts';

// What the ContactCenter (contact-center.ts) is built from and what its entry points take.
export interface ContactCenterConfig {
  offerTimeoutMs: number;
  maxChatsPerAgent: number;
  // Chats waiting for an agent (queued or offered), all services together; none: no bound.
  maxWaitingChats?: number;
  // After a chat ends its token reads the history this long, then opens nothing.
  endedChatAccessMs: number;
}

// The call and video components of an interaction (MultimediaDesk), heard at the two moments the chat
// decides for them: after Accept (auto-dial), and before the interaction ends, so its media is
// released first.
export interface InteractionMedia {
  readonly capabilities: MediaCapabilities;
  afterAccept(rec: InteractionRecord): Promise<void>;
  beforeEnd(rec: InteractionRecord, by: Party): Promise<void>;
}

export interface ContactCenterDeps {
  interactions: Interactions;
  media: InteractionMedia;
  store: InteractionStore;
  directory: Directory;
  attachments: AttachmentStore;
  events: DomainEvents;
  clock: Clock;
  timers: Timers;
  config: ContactCenterConfig;
  presence?: AgentPresenceStore;
}

export interface NewChat {
  serviceId: string;
  channel: Channel;
  customer: Customer;
  context?: Partial<CustomerContext>;
  // The client's Idempotency-Key (chat-starts.ts).
  startKey?: string | undefined;
}

export interface NewAttachment {
  bytes: Uint8Array;
  sniffedType: string | undefined;
  declaredType: string | undefined;
  fileName: string;
  // The app's id for this photo: sent again with it, the photo already stored is the answer.
  clientId?: string | undefined;
}
