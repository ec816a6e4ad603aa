import { conflict } from './errors.ts';

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
  if (to === undefined) {
    throw conflict(`${what}_${from}`, `Cannot ${event.replaceAll('_', ' ')}: the ${what.replaceAll('_', ' ')} is ${from.replaceAll('_', ' ')}.`);
  }
  return to;
}

export function canApply<S extends string, E extends string>(table: StateTable<S, E>, from: S, event: E): boolean {
  return table[from][event] !== undefined;
}
