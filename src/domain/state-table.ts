import { conflict, type DomainError } from './errors.ts';

// A state table: for each state, the events it accepts and the state each one leads to.
// Every stateful thing in the domain (interaction, agent presence, call leg, video session) is one of these.
export type StateTable<S extends string, E extends string> = Readonly<Record<S, Partial<Readonly<Record<E, S>>>>>;

export function nextState<S extends string, E extends string>(
  table: StateTable<S, E>,
  what: string,
  from: S,
  event: E,
): S {
  const to = table[from][event];
  if (to === undefined) throw refusal(what, from, event);
  return to;
}

export function canApply<S extends string, E extends string>(table: StateTable<S, E>, from: S, event: E): boolean {
  return table[from][event] !== undefined;
}

// Why `event` cannot happen in `from`, or null when it can: guards (guards.ts) ask before they act.
export function refusalOf<S extends string, E extends string>(table: StateTable<S, E>, what: string, from: S, event: E): DomainError | null {
  return canApply(table, from, event) ? null : refusal(what, from, event);
}

function refusal(what: string, from: string, event: string): DomainError {
  return conflict(`${what}_${from}`, `Cannot ${event.replaceAll('_', ' ')}: the ${what.replaceAll('_', ' ')} is ${from.replaceAll('_', ' ')}.`);
}
