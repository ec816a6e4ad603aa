import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { NewAttachment } from './contact-center-types.ts';
import type { Service } from './directory.ts';
import type { CustomerAction } from './guards.ts';
import { conflict, forbidden, invalid, notFound, unauthorized, unavailable, unsupportedMedia } from './errors.ts';
import type { Customer, CustomerContext, InteractionRecord } from './interaction.ts';
import { E164, LIMITS } from './limits.ts';
import type { AttachmentInfo } from './timeline.ts';

// Checks on what customers send, shared by every channel.
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

// A token opens exactly one chat: any other chat answers 403, whatever its state. Once the chat has
// ended its token only reads it, until `endedSince` is past its end (ENDED_CHAT_ACCESS), then 401.
export function checkCustomerToken(rec: InteractionRecord | undefined, token: string, endedSince: number): InteractionRecord {
  if (!rec) throw notFound('chat_not_found', 'No chat with this id.');
  if (!timingSafeEqual(Buffer.from(hashToken(token), 'hex'), Buffer.from(rec.tokenHash, 'hex'))) throw forbidden('wrong_token', 'This token does not open this chat.');
  if (rec.endedAt !== null && rec.endedAt < endedSince) throw unauthorized('token_expired', 'This chat ended a while ago: its token no longer opens it.');
  return rec;
}

export function checkedContext(context: CustomerContext): CustomerContext {
  if (Object.keys(context.fields).length > LIMITS.contextMaxFields) {
    throw invalid('too_many_fields', `A chat holds at most ${LIMITS.contextMaxFields} context fields.`);
  }
  for (const [key, value] of Object.entries(context.fields)) {
    checkNoNul('a context field\'s name', key);
    checkNoNul(`context field ${JSON.stringify(key)}`, value);
  }
  return context;
}

export function checkedCustomer(customer: Customer): Customer {
  if (!E164.test(customer.phone)) throw invalid('invalid_phone', 'phone must be an E.164 number such as +15551234567.');
  checkNoNul('name', customer.name);
  return customer;
}

// U+0000 has no place in text a person typed, and PostgreSQL's text and jsonb cannot hold it (SQLite
// can): refused here, so every store keeps the same things.
export function checkNoNul(what: string, value: string): void {
  if (value.includes('\u0000')) throw invalid('nul_character', `${what} must not contain the character U+0000 (NUL).`);
}

// The same through a parsed body: every string in it, at any depth, named by its top-level field.
export function checkNoNulInFields(body: unknown): void {
  if (body === null || typeof body !== 'object') return;
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) checkNoNulIn(name, value);
}

function checkNoNulIn(name: string, value: unknown): void {
  if (typeof value === 'string') checkNoNul(`The field "${name}"`, value);
  else if (value !== null && typeof value === 'object') for (const inner of Object.values(value)) checkNoNulIn(name, inner);
}

export function checkText(text: string): void {
  if (text.trim().length === 0) throw invalid('empty_text', 'text must not be empty.');
  checkNoNul('text', text);
  if (text.length > LIMITS.textMaxChars) {
    throw invalid('text_too_long', `text is limited to ${LIMITS.textMaxChars} characters.`);
  }
}

// A message: its text, and the client id its sender's app or page resends it with.
export function checkMessage(text: string, clientId: string | undefined): void {
  checkText(text);
  if (clientId !== undefined) checkClientId(clientId);
}

// Its length is capped where ids come in from outside (the mobile API's schemas, the desktop's form):
// the SMS desk makes longer ones of its own from the gateway's ids (`sms:<id>#<part>`).
function checkClientId(clientId: string): void {
  checkNoNul('client_id', clientId);
  if (clientId.length === 0) throw invalid('invalid_client_id', 'client_id must not be empty.');
}

// A photo's file name as kept: shortened, and without U+0000 (see checkNoNul): the photo is not refused for it.
const attachmentFileName = (name: string) => name.replaceAll('\u0000', '').slice(0, 200);

// A customer's photo: an image by its bytes, of the type it claims if it claims one.
export function checkedAttachment(file: NewAttachment): AttachmentInfo {
  const type = file.sniffedType;
  if (!type || !LIMITS.imageTypes.includes(type)) {
    throw unsupportedMedia('not_an_image', 'Only images (JPEG, PNG, GIF, WebP, HEIC, AVIF) can be sent.');
  }
  if (file.declaredType && normaliseImageType(file.declaredType) !== type) {
    throw unsupportedMedia('type_mismatch', `The file claims to be ${file.declaredType} but its bytes are ${type}.`);
  }
  if (file.clientId !== undefined) checkClientId(file.clientId);
  return { attachmentId: randomUUID(), contentType: type, size: file.bytes.byteLength, fileName: attachmentFileName(file.fileName) };
}

export function normaliseImageType(type: string): string {
  const t = type.toLowerCase().split(';')[0]!.trim();
  return t === 'image/jpg' || t === 'image/pjpeg' ? 'image/jpeg' : t;
}

// Anyone may start a chat, and a chat nobody accepts waits until its customer ends it: the chats
// waiting for an agent (queued or offered) are bounded, as everything an anonymous visitor can make
// the contact center hold. Past the bound a new chat is refused as worth trying again a little later.
export function checkRoomToWait(open: readonly InteractionRecord[], max = Infinity, starting = 0): void {
  if (starting + open.filter((rec) => rec.state === 'queued' || rec.state === 'offered').length < max) return;
  throw unavailable('queue_full', 'Every agent is busy and the queue is full. Please try again in a few minutes.', 60);
}

// Every reader reads a chat whole (the customer's page, the agent's panel, a photo's lookup): past
// `max` timeline entries the customer writes no more, and is told to start a new chat. The agent may
// still write (to say goodbye), and the chat still ends.
// Every customer action that adds an entry, however small: one a customer may repeat without end (a
// context update) would otherwise grow the chat past any bound. Ending the chat stays possible; asking
// for video is checked where it would add one (MultimediaDesk.requestVideo: asking again adds none).
export const CUSTOMER_WRITES: ReadonlySet<CustomerAction> = new Set(['post_message', 'send_photo', 'update_context']);

export function checkRoomInChat(rec: InteractionRecord, max: number = LIMITS.chatEntriesMax): void {
  if (rec.lastSeq >= max) throw conflict('chat_full', 'This chat is as long as a chat can be. Please end it and start a new one.');
}

export const serviceDisabled = (service: Service) => conflict('service_disabled', `${service.name} is not taking new chats at the moment.`);
