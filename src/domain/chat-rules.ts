import { createHash } from 'node:crypto';
import { invalid } from './errors.ts';
import type { CustomerContext } from './interaction.ts';
import { LIMITS } from './limits.ts';

// Checks on what customers send, shared by every channel.
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export function checkedContext(context: CustomerContext): CustomerContext {
  if (Object.keys(context.fields).length > LIMITS.contextMaxFields) {
    throw invalid('too_many_fields', `A chat holds at most ${LIMITS.contextMaxFields} context fields.`);
  }
  return context;
}

export function checkText(text: string): void {
  if (text.trim().length === 0) throw invalid('empty_text', 'text must not be empty.');
  if (text.length > LIMITS.textMaxChars) {
    throw invalid('text_too_long', `text is limited to ${LIMITS.textMaxChars} characters.`);
  }
}

export function normaliseImageType(type: string): string {
  const t = type.toLowerCase().split(';')[0]!.trim();
  return t === 'image/jpg' || t === 'image/pjpeg' ? 'image/jpeg' : t;
}
