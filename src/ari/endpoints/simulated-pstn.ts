import { createHash } from 'node:crypto';
import type { SipCredentialStore } from '../../domain/ports.ts';
import { KeyedQueue } from '../../domain/util/keyed-queue.ts';
import type { Ari } from '../client.ts';
import { ignoreNotFound } from '../errors.ts';
import { dropRegistrations, newSipPassword, pushPjsipEndpoint, SIP_UDP_MEDIA, sipDigest, WEBRTC_MEDIA } from './pjsip-objects.ts';

// Development only: the trunk leads to a simulated PSTN inside the same Asterisk (see
// asterisk-config/extensions.conf, context simulated-pstn). Two kinds of phone live there:
//
// - A chat's phone (ChatPhones): one per chat, named after the chat, never after the number the
//   customer typed, since any chat may type any number. The controller's call to that chat names the
//   phone in a header (SIMULATED_PHONE_HEADER), so only that chat's page rings. It cannot text.
// - A number's line (ensureSimulatedPhone): the endpoint "<digits>", rung when a call through the trunk
//   names no phone and the only phone that can text (as that number). Only whoever runs the simulated
//   PSTN makes one (tests, through ARI); nothing on the public API does.
//
// Both have context from-simulated-customers (which can call nothing) and the number as callerid. A
// phone gets a new password each time it is asked for, kept nowhere: Asterisk gets its digest, the
// caller the password. The store keeps a chat's phone's digest while the chat is open: a call to the
// chat names its phone only if it has one.

export const SIMULATED_PHONE_HEADER = 'X-Simulated-Phone';

type PhoneKind = 'browser' | 'sip';
export type PhoneLogin = { username: string; password: string };

const E164_DIGITS = /^[1-9][0-9]{6,14}$/;

function digitsOf(number: string): string {
  const digits = number.replace(/^\+/, '');
  if (!E164_DIGITS.test(digits)) throw new Error('not an E.164 number');
  return digits;
}

function pushPhone(ari: Ari, username: string, md5Cred: string, digits: string, kind: PhoneKind, messageContext: string): Promise<void> {
  return pushPjsipEndpoint(
    ari,
    username,
    md5Cred,
    'from-simulated-customers',
    [...(kind === 'browser' ? WEBRTC_MEDIA : SIP_UDP_MEDIA), { attribute: 'callerid', value: `"+${digits}" <+${digits}>` }],
    messageContext,
  );
}

// A number's line (see above). Its texts (SIP MESSAGE) go to simulated-customers-texts, which passes
// them to the SMS trunk with the sender's number taken from this endpoint's callerid (never from what
// the phone writes in From). A test pushing its phone again after an Asterisk restart gives its
// password back.
export async function ensureSimulatedPhone(ari: Ari, number: string, kind: PhoneKind, password = newSipPassword()): Promise<PhoneLogin> {
  const username = digitsOf(number);
  await pushPhone(ari, username, sipDigest(username, password), username, kind, 'simulated-customers-texts');
  return { username, password };
}

// Chats' phones. A chat's phone keeps its name; a page that asks again (a reload, a restart of the
// server or of Asterisk) gets a new password for it, and an older page of the same chat loses it.
export class ChatPhones {
  readonly #ari: () => Ari;
  readonly #credentials: SipCredentialStore;
  // One change at a time per chat: two first requests must not make two phones, and an ended chat's
  // removal must come after a push still under way.
  readonly #queue = new KeyedQueue(() => undefined); // every task is awaited by its caller
  // What was pushed for each open chat's phone: a restarted Asterisk gets them back (see restore()).
  readonly #pushed = new Map<string, { username: string; md5Cred: string; digits: string; kind: PhoneKind }>();

  constructor(ari: () => Ari, credentials: SipCredentialStore) {
    this.#ari = ari;
    this.#credentials = credentials;
  }

  // The chat's phone, pushed to Asterisk every time with a new password (memory objects vanish when
  // Asterisk restarts). The caller checks that the chat is still open.
  async forChat(interactionId: string, number: string, kind: PhoneKind): Promise<PhoneLogin> {
    const digits = digitsOf(number);
    return this.#queue.run(interactionId, () => this.push(interactionId, digits, kind));
  }

  private async push(interactionId: string, digits: string, kind: PhoneKind): Promise<PhoneLogin> {
    const login = { username: phoneNameOf(interactionId), password: newSipPassword() };
    const md5Cred = sipDigest(login.username, login.password);
    await this.#credentials.setDigest(login.username, md5Cred);
    // No texts: a chat's phone is there to answer the agent's call; texting as a number is the line's.
    await pushPhone(this.#ari(), login.username, md5Cred, digits, kind, 'from-simulated-customers');
    this.#pushed.set(interactionId, { username: login.username, md5Cred, digits, kind });
    return login;
  }

  // After every (re)connect: Asterisk may have restarted and lost the chats' phones (memory objects),
  // so they are pushed again with the digests their pages hold the passwords of; the pages' phones
  // then register again by themselves. `restarted`: the browser phones' registrations Asterisk reloaded
  // from its database died with its old process, and go (see AgentEndpoints.dropBrowserRegistrations).
  async restore(ari: Ari, restarted: boolean): Promise<void> {
    for (const [interactionId, p] of this.#pushed) {
      await this.#queue.run(interactionId, async () => {
        if (this.#pushed.get(interactionId) !== p) return; // renewed or ended meanwhile
        await pushPhone(ari, p.username, p.md5Cred, p.digits, p.kind, 'from-simulated-customers');
        if (restarted && p.kind === 'browser') await dropRegistrations(ari, p.username).catch(ignoreNotFound);
      });
    }
  }

  // The endpoint a call to this chat names, if the chat has a phone.
  async endpointOf(interactionId: string): Promise<string | undefined> {
    const name = phoneNameOf(interactionId);
    return (await this.#credentials.digest(name)) ? name : undefined;
  }

  // The chat ended: its phone leaves Asterisk (a registered page can no longer be rung or reached).
  chatEnded(interactionId: string): Promise<void> {
    return this.#queue.run(interactionId, async () => {
      this.#pushed.delete(interactionId);
      const name = await this.endpointOf(interactionId);
      if (!name) return;
      const ari = this.#ari();
      for (const objectType of ['endpoint', 'aor', 'auth']) {
        await ari.asterisk.deleteObject({ configClass: 'res_pjsip', objectType, id: name }).catch(ignoreNotFound);
      }
      await this.#credentials.remove(name);
    });
  }
}

// "phone" and 24 hex digits of a hash of the chat's id: never all digits (a number's line), only
// lower-case letters and digits, which is what the simulated PSTN lets a call name (extensions.conf).
function phoneNameOf(interactionId: string): string {
  return `phone${createHash('sha256').update(`chat-phone:${interactionId}`).digest('hex').slice(0, 24)}`;
}
