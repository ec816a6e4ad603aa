import { createHash } from 'node:crypto';
import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { rateLimited, unavailable } from '../domain/errors.ts';

// Abuse limits of the public face: logins, chats started, messages, context updates and photos. The
// counting is rate-limiter-flexible's, so a cluster swaps the in-memory store for its PostgreSQL store
// here, in `LimiterStore`, and nowhere else.

export interface RateLimitSettings {
  loginAttemptsBeforeBackoff: number;
  loginBackoffMaxS: number;
  loginFailsPerAddressPerHour: number;
  chatsPerAddressPerHour: number;
  messagesPerChatPerMinute: number;
  contextUpdatesPerChatPerMinute: number;
  phoneRequestsPerChatPerMinute: number;
  videoRequestsPerChatPerMinute: number;
  videoTransportsPerChatPerMinute: number;
  historyReadsPerChatPerMinute: number;
  uploadsPerChatPerHour: number;
  uploadMbPerChatPerHour: number;
  uploadsPerAddressPerHour: number;
  uploadMbPerAddressPerHour: number;
  uploadMemoryPerAddressMb: number;
  uploadMemoryMb: number;
}

/** Makes one named counter: at most `points` per `duration` seconds for each key. */
export type LimiterStore = (opts: { keyPrefix: string; points: number; duration: number }) => RateLimiterAbstract;

export const memoryStore: LimiterStore = (opts) => new RateLimiterMemory(opts);

const MINUTE = 60;
const HOUR = 3600;
const MB = 1024 * 1024;
// The first wait after the free login attempts; each further failure doubles it, up to the maximum.
const LOGIN_FIRST_WAIT_S = 15;
// Failures of a username are remembered this long (or until it logs in).
const LOGIN_FAILS_MEMORY_S = 24 * HOUR;
// How long a browser an agent logged in from is remembered as theirs (its device cookie lives as long;
// each login renews both). Under 24.8 days: the memory store's timers cannot wait longer.
export const KNOWN_DEVICE_S = 14 * 24 * HOUR;
// Some usernames typed are long junk; their keys need not be.
const USERNAME_KEY_CHARS = 64;
// A photo busy the whole server (not one client's doing) is worth retrying soon.
const UPLOADS_BUSY_RETRY_S = 5;

/** "45 seconds", "3 minutes": how long to wait, for people. */
export function waitInWords(seconds: number): string {
  if (seconds < 120) return seconds === 1 ? '1 second' : `${seconds} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}

const secondsOf = (res: RateLimiterRes) => Math.max(1, Math.ceil(res.msBeforeNext / 1000));

// rate-limiter-flexible refuses with its result (how long until the window ends); store failures are errors.
async function take(limiter: RateLimiterAbstract, key: string, points: number, refusal: string): Promise<void> {
  try {
    await limiter.consume(key, points);
  } catch (err) {
    if (!(err instanceof RateLimiterRes)) throw err;
    const wait = secondsOf(err);
    throw rateLimited(`${refusal} Try again in ${waitInWords(wait)}.`, wait);
  }
}

export class RateLimits {
  readonly login: LoginThrottle;
  readonly #chats: RateLimiterAbstract;
  readonly #messages: RateLimiterAbstract;
  readonly #contextUpdates: RateLimiterAbstract;
  readonly #phoneRequests: RateLimiterAbstract;
  readonly #videoRequests: RateLimiterAbstract;
  readonly #videoTransports: RateLimiterAbstract;
  readonly #historyReads: RateLimiterAbstract;
  readonly #uploads: PhotoBudgets;
  readonly #downloads: PhotoRoom;

  constructor(settings: RateLimitSettings, store: LimiterStore = memoryStore) {
    this.login = new LoginThrottle(settings, store);
    this.#chats = store({ keyPrefix: 'chats_by_address', points: settings.chatsPerAddressPerHour, duration: HOUR });
    this.#messages = store({ keyPrefix: 'messages_by_chat', points: settings.messagesPerChatPerMinute, duration: MINUTE });
    this.#contextUpdates = store({ keyPrefix: 'context_by_chat', points: settings.contextUpdatesPerChatPerMinute, duration: MINUTE });
    this.#phoneRequests = store({ keyPrefix: 'phone_by_chat', points: settings.phoneRequestsPerChatPerMinute, duration: MINUTE });
    this.#videoRequests = store({ keyPrefix: 'video_by_chat', points: settings.videoRequestsPerChatPerMinute, duration: MINUTE });
    this.#videoTransports = store({ keyPrefix: 'video_transports_by_chat', points: settings.videoTransportsPerChatPerMinute, duration: MINUTE });
    this.#historyReads = store({ keyPrefix: 'history_reads_by_chat', points: settings.historyReadsPerChatPerMinute, duration: MINUTE });
    this.#uploads = new PhotoBudgets(settings, store);
    this.#downloads = new PhotoRoom(settings);
  }

  chatStarted(address: string): Promise<void> {
    return take(this.#chats, address, 1, 'Too many chats started from your network.');
  }

  // A start the rules refused (a bad phone number, a service closed, the queue full) made no chat:
  // its point is given back, so mistakes do not lock out an address (a carrier's NAT, say).
  async chatRefused(address: string): Promise<void> {
    await this.#chats.reward(address, 1);
  }

  message(chatId: string): Promise<void> {
    return take(this.#messages, chatId, 1, 'Too many messages in a short time.');
  }

  contextUpdate(chatId: string): Promise<void> {
    return take(this.#contextUpdates, chatId, 1, 'Too many context updates in a short time.');
  }

  // Each ask for the chat's phone costs a durable write and four ARI requests.
  phoneRequest(chatId: string): Promise<void> {
    return take(this.#phoneRequests, chatId, 1, 'Too many requests for the phone in a short time.');
  }

  // Each ask for video, or its close, may write a timeline entry and alert the agent's desktop.
  videoRequest(chatId: string): Promise<void> {
    return take(this.#videoRequests, chatId, 1, 'Too many requests for video in a short time.');
  }

  // Each transport binds ports on the SFU: a customer looping create and close churns them (the cap of
  // four at once holds what is kept, not what is made).
  videoTransport(chatId: string): Promise<void> {
    return take(this.#videoTransports, chatId, 1, 'Too many video connections made in a short time.');
  }

  // Each read of the conversation (its GET, an events socket replaying it) reads the chat whole.
  historyRead(chatId: string): Promise<void> {
    return take(this.#historyReads, chatId, 1, 'Too many reads of this chat in a short time.');
  }

  /**
   * Before a photo's bytes are read (`bytes`: its Content-Length, or the most it may be): counts it
   * against the chat's and the address's budgets and holds room for it in memory. The answer releases
   * that room once the photo is stored or refused.
   */
  photo(chatId: string, address: string, bytes: number): Promise<() => void> {
    return this.#uploads.reserve(chatId, address, bytes);
  }

  // A photo being sent to a customer is held in memory until it has left: a room of the same size as
  // the one for photos arriving (but apart: downloads never stop uploads), so a client that asks for
  // photos and never reads them holds a bounded amount. Returns what gives the room back.
  photoSent(address: string, bytes: number): () => void {
    return this.#downloads.hold(address, bytes, 'leaving for');
  }
}

// Per chat and per address, photos per hour and megabytes per hour; and, in this node's memory, what
// one address and everyone together may have arriving at once (photos are held in memory until stored).
class PhotoBudgets {
  readonly #byChat: RateLimiterAbstract;
  readonly #bytesByChat: RateLimiterAbstract;
  readonly #byAddress: RateLimiterAbstract;
  readonly #bytesByAddress: RateLimiterAbstract;
  readonly #room: PhotoRoom;

  constructor(s: RateLimitSettings, store: LimiterStore) {
    this.#byChat = store({ keyPrefix: 'photos_by_chat', points: s.uploadsPerChatPerHour, duration: HOUR });
    this.#bytesByChat = store({ keyPrefix: 'photo_bytes_by_chat', points: s.uploadMbPerChatPerHour * MB, duration: HOUR });
    this.#byAddress = store({ keyPrefix: 'photos_by_address', points: s.uploadsPerAddressPerHour, duration: HOUR });
    this.#bytesByAddress = store({ keyPrefix: 'photo_bytes_by_address', points: s.uploadMbPerAddressPerHour * MB, duration: HOUR });
    this.#room = new PhotoRoom(s);
  }

  async reserve(chatId: string, address: string, bytes: number): Promise<() => void> {
    const release = this.#room.hold(address, bytes, 'arriving from');
    try {
      await this.#spend([
        [this.#byChat, chatId, 1, 'Too many photos in this chat.'],
        [this.#bytesByChat, chatId, bytes, 'Too many megabytes of photos in this chat.'],
        [this.#byAddress, address, 1, 'Too many photos from your network.'],
        [this.#bytesByAddress, address, bytes, 'Too many megabytes of photos from your network.'],
      ]);
    } catch (err) {
      release();
      throw err;
    }
    return release;
  }

  // All or nothing: a budget that refuses gives back what the others took.
  async #spend(budgets: Array<[RateLimiterAbstract, string, number, string]>): Promise<void> {
    const spent: typeof budgets = [];
    try {
      for (const budget of budgets) {
        await take(...budget);
        spent.push(budget);
      }
    } catch (err) {
      await Promise.all(spent.map(([limiter, key, points]) => limiter.reward(key, points)));
      throw err;
    }
  }
}

// Photos in this node's memory (arriving, or leaving), by address and in all.
class PhotoRoom {
  readonly #inMemory = new Map<string, number>();
  #inMemoryTotal = 0;
  readonly #perAddressBytes: number;
  readonly #totalBytes: number;

  constructor(s: RateLimitSettings) {
    this.#perAddressBytes = s.uploadMemoryPerAddressMb * MB;
    this.#totalBytes = s.uploadMemoryMb * MB;
  }

  hold(address: string, bytes: number, way: 'arriving from' | 'leaving for'): () => void {
    const held = this.#inMemory.get(address) ?? 0;
    if (held + bytes > this.#perAddressBytes) throw rateLimited(`Too many photos ${way} your network at once. Try again in a few seconds.`, 2);
    if (this.#inMemoryTotal + bytes > this.#totalBytes) {
      const [code, doing] = way === 'arriving from' ? ['uploads_busy', 'receiving'] : ['downloads_busy', 'sending'];
      throw unavailable(code, `The server is ${doing} many photos right now. Try again in a few seconds.`, UPLOADS_BUSY_RETRY_S);
    }
    this.#inMemory.set(address, held + bytes);
    this.#inMemoryTotal += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#inMemory.get(address) ?? bytes) - bytes;
      if (left > 0) this.#inMemory.set(address, left);
      else this.#inMemory.delete(address);
      this.#inMemoryTotal -= bytes;
    };
  }
}

/**
 * Failed logins: per address, a budget per hour; per username, a few free attempts, then a wait that
 * doubles with every further failure (whether or not the username exists, so the answers do not tell).
 * An attempt counts before its password is checked, and whether it may be checked at all is decided by
 * the same atomic count: of attempts sent all at once, those past the address's budget or past the free
 * ones of the username (but one) are refused unchecked. A successful login takes the count back.
 */
export class LoginThrottle {
  readonly #failsByAddress: RateLimiterAbstract;
  readonly #failsByUsername: RateLimiterAbstract;
  readonly #waitByUsername: RateLimiterAbstract;
  readonly #knownDevices: RateLimiterAbstract;
  readonly #failsByDevice: RateLimiterAbstract;
  readonly #freeAttempts: number;
  readonly #maxWaitS: number;

  constructor(s: RateLimitSettings, store: LimiterStore) {
    this.#failsByAddress = store({ keyPrefix: 'login_fails_by_address', points: s.loginFailsPerAddressPerHour, duration: HOUR });
    this.#failsByUsername = store({ keyPrefix: 'login_fails_by_username', points: s.loginAttemptsBeforeBackoff, duration: LOGIN_FAILS_MEMORY_S });
    this.#waitByUsername = store({ keyPrefix: 'login_wait_by_username', points: 1, duration: 1 });
    this.#knownDevices = store({ keyPrefix: 'login_known_device', points: 1, duration: KNOWN_DEVICE_S });
    this.#failsByDevice = store({ keyPrefix: 'login_fails_by_device', points: s.loginAttemptsBeforeBackoff, duration: LOGIN_FAILS_MEMORY_S });
    this.#freeAttempts = s.loginAttemptsBeforeBackoff;
    this.#maxWaitS = s.loginBackoffMaxS;
  }

  /**
   * Seconds before this address may try this username again; 0: now. `device`: the browser's device
   * cookie. One this username logged in from before is not held back by the username's failures (an
   * anonymous visitor failing on purpose would lock the agent out), only by its address's budget.
   */
  async waitS(address: string, username: string, device?: string): Promise<number> {
    return this.#waitS(address, username, await this.#known(username, device));
  }

  async #waitS(address: string, username: string, known: boolean): Promise<number> {
    const [byAddress, byUsername] = await Promise.all([this.#failsByAddress.get(address), known ? null : this.#waitByUsername.get(userKey(username))]);
    const waits = [0];
    if (byAddress && byAddress.consumedPoints >= this.#failsByAddress.points) waits.push(secondsOf(byAddress));
    if (byUsername && byUsername.consumedPoints > this.#waitByUsername.points) waits.push(secondsOf(byUsername));
    return Math.max(...waits);
  }

  /**
   * Counts an attempt as failed until `succeeded`. `mayCheck`: whether its password may be checked at
   * all; `waitS`: the wait in force after it (0: none).
   */
  async attempt(address: string, username: string, device?: string): Promise<{ mayCheck: boolean; waitS: number }> {
    if (await this.#known(username, device)) {
      const dkey = deviceKey(username, device!);
      const [byAddress, byDevice] = await Promise.all([this.#failsByAddress.penalty(address), this.#failsByDevice.penalty(dkey)]);
      if (byDevice.consumedPoints <= this.#freeAttempts) return { mayCheck: byAddress.consumedPoints <= this.#failsByAddress.points, waitS: await this.#waitS(address, username, true) };
      // As many failures from it as a username's free attempts (a copied cookie?): no longer known.
      await Promise.all([this.#knownDevices.delete(dkey), this.#failsByDevice.delete(dkey), this.#failsByAddress.reward(address)]);
    }
    const key = userKey(username);
    const [byAddress, fails] = await Promise.all([this.#failsByAddress.penalty(address), this.#failsByUsername.penalty(key)]);
    const beyond = fails.consumedPoints - this.#freeAttempts;
    // Past the free attempts, one attempt at a time once the wait is over: taking the one slot is atomic.
    const mayCheck = byAddress.consumedPoints <= this.#failsByAddress.points && (beyond <= 0 || (await this.#takeSlot(key)));
    if (mayCheck && beyond >= 0) await this.#waitByUsername.block(key, Math.min(this.#maxWaitS, LOGIN_FIRST_WAIT_S * 2 ** Math.min(beyond, 20)));
    return { mayCheck, waitS: await this.#waitS(address, username, false) };
  }

  async #takeSlot(key: string): Promise<boolean> {
    try {
      await this.#waitByUsername.consume(key);
      return true;
    } catch (refusal) {
      if (refusal instanceof Error) throw refusal; // the store failed: not a refusal
      return false;
    }
  }

  // `device`: the browser's device cookie, remembered as this username's (a login; not a password change).
  async succeeded(address: string, username: string, device?: string): Promise<void> {
    const key = userKey(username);
    if (await this.#known(username, device)) {
      // The username's count stays: someone else's failures go on being held back.
      const dkey = deviceKey(username, device!);
      await Promise.all([this.#failsByAddress.reward(address), this.#failsByDevice.delete(dkey), this.#knownDevices.set(dkey, 1, KNOWN_DEVICE_S)]);
      return;
    }
    await Promise.all([
      this.#failsByAddress.reward(address),
      this.#failsByUsername.delete(key),
      this.#waitByUsername.delete(key),
      device ? this.#knownDevices.set(deviceKey(username, device), 1, KNOWN_DEVICE_S) : undefined,
    ]);
  }

  async #known(username: string, device: string | undefined): Promise<boolean> {
    return device !== undefined && device !== '' && (await this.#knownDevices.get(deviceKey(username, device))) !== null;
  }
}

const userKey = (username: string) => username.slice(0, USERNAME_KEY_CHARS);
// The store holds a hash of the device cookie, never the cookie.
const deviceKey = (username: string, device: string) => `${userKey(username)}:${createHash('sha256').update(device).digest('base64url')}`;
