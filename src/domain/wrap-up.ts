import type { Service } from './directory.ts';
import { linesOf } from './canned-responses.ts';
import { conflict, invalid } from './errors.ts';
import type { InteractionRecord } from './interaction.ts';

// The rules of wrap-up (after-call work): what a service sets, and what a Done may record.

export type AfterWrapUp = 'ready' | 'not_ready';

export interface WrapUpSettings {
  dispositionCodes: readonly string[];
  wrapUpSeconds: number;
  // Where the agent goes when the wrap-up time runs out before Done.
  afterWrapUp: AfterWrapUp;
}

// 0: the wrap-up time runs out at once (the agent stays free; Done still records a disposition).
export const DEFAULT_WRAP_UP_SECONDS = 0;
export const WRAP_UP_SECONDS_MAX = 3600;
export const NOTES_MAX = 2000;

export function wrapUpSettings(service: Service | undefined): WrapUpSettings {
  return {
    dispositionCodes: service?.dispositionCodes ?? [],
    wrapUpSeconds: service?.wrapUpSeconds ?? DEFAULT_WRAP_UP_SECONDS,
    afterWrapUp: service?.afterWrapUp ?? 'ready',
  };
}

// Who owes an ended interaction's wrap-up: the agent who had it when it ended (after a transfer, the
// last one), if it was ever accepted. Only they get the form; everyone else reads what was recorded.
export function wrapUpHolder(rec: InteractionRecord): string | null {
  return rec.state === 'ended' && rec.acceptedAt !== null ? rec.agentId : null;
}

export interface WrapUpForm {
  disposition: string;
  notes: string;
}

// The disposition and notes as they will be kept, or a typed refusal. A service with codes needs one
// of them; a service without codes takes none.
export function checkWrapUp(form: WrapUpForm, settings: WrapUpSettings): { disposition: string | null; notes: string } {
  const code = form.disposition.trim();
  const notes = form.notes.trim();
  if (notes.length > NOTES_MAX) throw invalid('notes_too_long', `Notes are limited to ${NOTES_MAX} characters.`);
  if (settings.dispositionCodes.length === 0) {
    if (code !== '') throw invalid('unknown_disposition', `"${code}" is not a disposition code of this service (it has none).`);
    return { disposition: null, notes };
  }
  if (code === '') throw invalid('disposition_required', 'Choose a disposition.');
  if (!settings.dispositionCodes.includes(code)) throw invalid('unknown_disposition', `"${code}" is not a disposition code of this service.`);
  return { disposition: code, notes };
}

export const alreadyWrappedUp = () => conflict('already_wrapped_up', 'This interaction is already wrapped up.');
export const wrapUpPending = () => conflict('wrap_up_pending', 'Finish wrap-up first: choose a disposition and click Done.');
export const notEndedYet = () => conflict('interaction_not_ended', 'Wrap-up comes once the interaction has ended.');

const CODES_MAX = 30;
const CODE_MAX_CHARS = 60;

// A service form's wrap-up fields as typed (codes one per line); undefined keeps the current value.
export interface WrapUpFields {
  dispositionCodes?: string;
  wrapUpSeconds?: string;
  afterWrapUp?: string;
}

// The settings as they will be saved, and a message per bad field.
export function checkWrapUpSettings(form: WrapUpFields, current: WrapUpSettings): { settings: WrapUpSettings; problems: Record<string, string> } {
  const problems: Record<string, string> = {};
  let dispositionCodes = [...current.dispositionCodes];
  if (form.dispositionCodes !== undefined) {
    const codes = [...new Set(linesOf(form.dispositionCodes))];
    if (codes.length > CODES_MAX) problems.dispositionCodes = `Keep at most ${CODES_MAX} disposition codes.`;
    else if (codes.some((c) => c.length > CODE_MAX_CHARS)) problems.dispositionCodes = `A disposition code is limited to ${CODE_MAX_CHARS} characters.`;
    dispositionCodes = codes;
  }
  let wrapUpSeconds = current.wrapUpSeconds;
  const seconds = form.wrapUpSeconds?.trim() ?? '';
  if (seconds !== '') {
    if (!/^\d+$/.test(seconds) || Number(seconds) > WRAP_UP_SECONDS_MAX) problems.wrapUpSeconds = `Enter a whole number of seconds from 0 to ${WRAP_UP_SECONDS_MAX} (0: no wrap-up time).`;
    else wrapUpSeconds = Number(seconds);
  }
  let afterWrapUp = current.afterWrapUp;
  if (form.afterWrapUp !== undefined) {
    if (form.afterWrapUp === 'ready' || form.afterWrapUp === 'not_ready') afterWrapUp = form.afterWrapUp;
    else problems.afterWrapUp = 'Choose Ready or Not Ready.';
  }
  return { settings: { dispositionCodes, wrapUpSeconds, afterWrapUp }, problems };
}
