import { randomBytes } from 'node:crypto';
import type { SipCredentialStore } from '../../domain/ports.ts';
import { KeyedQueue } from '../../domain/util/keyed-queue.ts';
import type { Ari } from '../client.ts';
import { ignoreNotFound } from '../errors.ts';
import { pushPjsipEndpoint, SIP_UDP_MEDIA, WEBRTC_MEDIA } from './pjsip-objects.ts';

// Development only: the trunk leads to a simulated PSTN inside the same Asterisk (see
// asterisk-config/extensions.conf, context simulated-pstn). Two kinds of phone live there:
//
// - A chat's phone (ChatPhones): one per chat, named and keyed by a random id, never by the number the
//   customer typed, since any chat may type any number. The controller's call to that chat names the
//   phone in a header (SIMULATED_PHONE_HEADER), so only that chat's page rings. It cannot text.
// - A number's line (ensureSimulatedPhone): the endpoint "<digits>", rung when a call through the trunk
//   names no phone and the only phone that can text (as that number). Only whoever runs the simulated
//   PSTN makes one (tests, through ARI); nothing on the public API does.
//
// Both have context from-simulated-customers (which can call nothing) and the number as callerid.

export const SIMULATED_PHONE_HEADER = 'X-Simulated-Phone';

type PhoneKind = 'browser' | 'sip';
export type PhoneLogin = { username: string; password: string };

const E164_DIGITS = /^[1-9][0-9]{6,14}$/;

function digitsOf(number: string): string {
  const digits = number.replace(/^\+/, '');
  if (!E164_DIGITS.test(digits)) throw new Error('not an E.164 number');
  return digits;
}

function pushPhone(ari: Ari, login: PhoneLogin, digits: string, kind: PhoneKind, messageContext: string): Promise<void> {
  return pushPjsipEndpoint(ari, login.username, login.password, 'from-simulated-customers', [
    ...(kind === 'browser' ? WEBRTC_MEDIA : SIP_UDP_MEDIA),
    { attribute: 'message_context', value: messageContext },
    { attribute: 'callerid', value: `"+${digits}" <+${digits}>` },
  ]);
}

// A number's line (see above). Its texts (SIP MESSAGE) go to simulated-customers-texts, which passes
// them to the SMS trunk with the sender's number taken from this endpoint's callerid (never from what
// the phone writes in From).
export async function ensureSimulatedPhone(ari: Ari, credentials: SipCredentialStore, number: string, kind: PhoneKind): Promise<PhoneLogin> {
  const username = digitsOf(number);
  const key = `pstn:${username}`;
  let password = await credentials.get(key);
  if (!password) {
    password = randomBytes(18).toString('base64url');
    await credentials.set(key, password);
  }
  const login = { username, password };
  await pushPhone(ari, login, username, kind, 'simulated-customers-texts');
  return login;
}

// Chats' phones. The login is kept in the credential store under the chat's id, so a page that asks
// again (a reload, a restart of the server or of Asterisk) gets the same phone back.
export class ChatPhones {
  readonly #ari: () => Ari;
  readonly #credentials: SipCredentialStore;
  // One change at a time per chat: two first requests must not make two phones, and an ended chat's
  // removal must come after a push still under way.
  readonly #queue = new KeyedQueue(() => undefined); // every task is awaited by its caller

  constructor(ari: () => Ari, credentials: SipCredentialStore) {
    this.#ari = ari;
    this.#credentials = credentials;
  }

  // The chat's phone, created on first use and pushed to Asterisk again every time (memory objects
  // vanish when Asterisk restarts). The caller checks that the chat is still open.
  async forChat(interactionId: string, number: string, kind: PhoneKind): Promise<PhoneLogin> {
    const digits = digitsOf(number);
    return this.#queue.run(interactionId, () => this.push(interactionId, digits, kind));
  }

  private async push(interactionId: string, digits: string, kind: PhoneKind): Promise<PhoneLogin> {
    let login = await this.loginOf(interactionId);
    if (!login) {
      // Never all digits (a number's line); only lower-case letters and digits, which is what the
      // simulated PSTN lets a call name (extensions.conf).
      login = { username: `phone${randomBytes(12).toString('hex')}`, password: randomBytes(18).toString('base64url') };
      await this.#credentials.set(keyOf(interactionId), JSON.stringify(login));
    }
    // No texts: a chat's phone is there to answer the agent's call; texting as a number is the line's.
    await pushPhone(this.#ari(), login, digits, kind, 'from-simulated-customers');
    return login;
  }

  // The endpoint a call to this chat names, if the chat has a phone.
  async endpointOf(interactionId: string): Promise<string | undefined> {
    return (await this.loginOf(interactionId))?.username;
  }

  // The chat ended: its phone leaves Asterisk (a registered page can no longer be rung or reached).
  chatEnded(interactionId: string): Promise<void> {
    return this.#queue.run(interactionId, async () => {
      const login = await this.loginOf(interactionId);
      if (!login) return;
      const ari = this.#ari();
      for (const objectType of ['endpoint', 'aor', 'auth']) {
        await ari.asterisk.deleteObject({ configClass: 'res_pjsip', objectType, id: login.username }).catch(ignoreNotFound);
      }
    });
  }

  private async loginOf(interactionId: string): Promise<PhoneLogin | undefined> {
    const stored = await this.#credentials.get(keyOf(interactionId));
    return stored ? (JSON.parse(stored) as PhoneLogin) : undefined;
  }
}

const keyOf = (interactionId: string) => `chat-phone:${interactionId}`;
