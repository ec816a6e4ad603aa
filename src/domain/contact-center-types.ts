import type { DomainEvents } from './events.ts';
import type { Channel, Customer, CustomerContext } from './interaction.ts';
import type { AttachmentStore, Clock, Directory, InteractionStore, Timers } from './ports.ts';
import type { TimelineEntry } from './timeline.ts';

// What the ContactCenter (contact-center.ts) is built from and what its entry points take.
export interface ContactCenterConfig {
  offerTimeoutMs: number;
  maxChatsPerAgent: number;
}

export interface ContactCenterDeps {
  store: InteractionStore;
  directory: Directory;
  attachments: AttachmentStore;
  events: DomainEvents;
  clock: Clock;
  timers: Timers;
  config: ContactCenterConfig;
}

export interface NewChat {
  serviceId: string;
  channel: Channel;
  customer: Customer;
  context?: Partial<CustomerContext>;
}

export interface NewAttachment {
  bytes: Uint8Array;
  sniffedType: string | undefined;
  declaredType: string | undefined;
  fileName: string;
}

// What a rule says about a new timeline entry; its id, seq and time are given when it is appended.
export type EntryDraft = Pick<TimelineEntry, 'kind' | 'author'> & Partial<Pick<TimelineEntry, 'agentId' | 'text' | 'clientId' | 'attachment' | 'data'>>;
