import { LIMITS } from './limits.ts';

// Canned responses: texts a service keeps for its agents, with placeholders filled for the chat at
// hand. The agent edits the result in the composer before Send; nothing is sent by itself.
export const CANNED_MAX = 50;
const PLACEHOLDERS = /\{(customer_name|agent_name)\}/g;

export function fillPlaceholders(text: string, values: { customerName: string; agentName: string }): string {
  return text.replace(PLACEHOLDERS, (_m, name: string) => (name === 'customer_name' ? values.customerName : values.agentName));
}

// One response per line, as an admin types them: blank lines dropped, each trimmed.
export const linesOf = (typed: string): string[] =>
  typed
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');

// The responses as they will be saved, or what is wrong with them.
export function checkCannedResponses(typed: string): string[] | string {
  const lines = linesOf(typed);
  if (lines.length > CANNED_MAX) return `Keep at most ${CANNED_MAX} canned responses.`;
  const long = lines.find((line) => line.length > LIMITS.textMaxChars);
  if (long) return `A canned response is limited to ${LIMITS.textMaxChars} characters.`;
  return [...new Set(lines)];
}
