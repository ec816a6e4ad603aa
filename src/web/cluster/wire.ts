import { DomainError, FormError, unavailable, type ErrorKind } from '../../domain/errors.ts';

// The internal command link's JSON: the values commands take and give (records, entries, an agent's
// state with its Set of interactions, a photo's bytes) and the rules' typed errors, so a follower
// answers exactly what the leader's rules answered.

export interface CommandRequest {
  id: number;
  target: string;
  method: string;
  args: unknown[];
}

export type WireError = { kind: ErrorKind; code: string; message: string; retryAfterS?: number; fields?: Record<string, string> } | { kind: 'internal'; message: string };

export type CommandResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: WireError };

export function encode(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, v: unknown) {
    const raw = this[key];
    if (raw instanceof Uint8Array) return { $bytes: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') };
    if (raw instanceof Set) return { $set: [...(raw as Set<unknown>)] };
    return v;
  });
}

export function decode(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if (typeof o.$bytes === 'string' && Object.keys(o).length === 1) return Buffer.from(o.$bytes, 'base64');
      if (Array.isArray(o.$set) && Object.keys(o).length === 1) return new Set(o.$set);
    }
    return v;
  });
}

export function toWireError(err: unknown): WireError {
  if (err instanceof FormError) return { kind: err.kind, code: err.code, message: err.message, fields: { ...err.fields } };
  if (err instanceof DomainError) return { kind: err.kind, code: err.code, message: err.message, retryAfterS: err.retryAfterS };
  // Unexpected failures keep their details on the leader (logged there); the follower says only that.
  return { kind: 'internal', message: 'the command failed on the leader' };
}

export class LeaderCommandFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LeaderCommandFailed';
  }
}

export function fromWireError(e: WireError): Error {
  if (e.kind === 'internal') return new LeaderCommandFailed(e.message);
  if (e.fields) return new FormError(e.fields, e.kind === 'conflict' ? 'conflict' : 'invalid');
  return new DomainError(e.kind, e.code, e.message, e.retryAfterS);
}

// The leader is gone or changing (failover): the command may or may not have run. Safe to retry for
// the customer's sends and the agent's replies (each with a client_id): the desktop shows the
// message and Send again gets the stored reply if it was stored.
export const leaderUnavailable = (detail: string) => unavailable('leader_unavailable', `The contact center is switching servers (${detail}); try again in a moment.`, 1);
