import type { AgentState } from './agent-presence.ts';
import type { InteractionRecord } from './interaction.ts';
import type { TimelineEntry } from './timeline.ts';

// What adapters hear from the rules: pages and sockets re-render from these, never from their own guesses.
export type DomainEvent =
  | { type: 'interaction_changed'; interaction: InteractionRecord; previousOfferedTo: string | null }
  | { type: 'entry_appended'; interaction: InteractionRecord; entry: TimelineEntry }
  | { type: 'presence_changed'; agent: AgentState }
  // An admin disabled the agent: what was offered to them, a consult included, ends.
  | { type: 'agent_disabled'; agentId: string }
  // The agent logged out (or was logged out, nobody being at their desktop): a consult calling them ends.
  | { type: 'agent_logged_out'; agentId: string }
  // Calling became possible again, or impossible for now (the telephony is away): every page redraws.
  | { type: 'telephony_changed'; available: boolean }
  | { type: 'store_failed'; error: unknown }
  // A follower caught up after missed wake-ups (replica.ts): what opened and ended meanwhile was never
  // emitted, so read models built from events read the store again.
  | { type: 'replica_resynced' };

export type DomainListener = (event: DomainEvent) => void;

export class DomainEvents {
  readonly #listeners = new Set<DomainListener>();
  readonly #onListenerError: (err: unknown, event: DomainEvent) => void;

  constructor(onListenerError: (err: unknown, event: DomainEvent) => void) {
    this.#onListenerError = onListenerError;
  }

  subscribe(listener: DomainListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: DomainEvent): void {
    for (const listener of this.#listeners) {
      // One broken listener (say, a socket render) must not stop the others or the rule that emitted.
      try {
        listener(event);
      } catch (err) {
        this.#onListenerError(err, event);
      }
    }
  }
}
