import { createHash } from 'node:crypto';
import { invalid } from './errors.ts';
import type { Clock, Timers } from './ports.ts';

// Reassembly of concatenated SMS. A long text reaches us as parts that share the sender, the receiving
// number, a reference and the total; they may come in any order and more than once. Parts are put
// back in order; a part already held is a duplicate. When a part is still missing `waitMs` after the
// first part of its group arrived, the text is given with a visible gap marker in its place. A part
// that arrives after that is given on its own, marked as late. A reference is only 8 or 16 bits: a part
// that has the number of one already received but another text starts a new text, not a repeat. Anyone can text us: the texts waiting
// are capped per sender and in all (at a cap the oldest is given at once, with its gaps), and so are
// the finished ones remembered. Nothing here does I/O: time comes from the domain's Clock and Timers.

export interface SmsPart {
  id: string;
  from: string;
  to: string;
  ref: number;
  total: number;
  part: number;
  text: string;
  receivedAt: number;
}

export interface AssembledSms<P extends SmsPart = SmsPart> {
  key: string;
  from: string;
  to: string;
  ref: number;
  total: number;
  text: string;
  // The parts this text was made of, in part order.
  parts: P[];
  // The id of the part that arrived first: it names the whole text.
  firstId: string;
  // Part numbers shown as gaps (empty when the text is whole).
  missing: number[];
  late: boolean;
}

export type PartVerdict = 'new' | 'duplicate' | 'late';

export type AddResult<P extends SmsPart = SmsPart> =
  | { kind: 'pending' }
  | { kind: 'duplicate' }
  | { kind: 'complete'; message: AssembledSms<P> }
  | { kind: 'late'; message: AssembledSms<P> };

// Missing parts side by side share one marker, so a text's size stays that of what arrived.
export const gapMarker = (first: number, total: number, last = first) =>
  first === last ? `[\u2026missing part ${first} of ${total}\u2026]` : `[\u2026missing parts ${first}\u2013${last} of ${total}\u2026]`;
export const lateMarker = (part: number, total: number) => `[\u2026late part ${part} of ${total}\u2026]`;
// Finds the markers in a text, for display.
export const MARKER_PATTERN = /\[\u2026(?:missing parts \d+\u2013\d+|(?:missing|late) part \d+) of \d+\u2026\]/g;

// The most parts a concatenated text may have (the count is one byte).
export const MAX_PARTS = 255;

export const SMS_CAPS = { waitingPerSender: 10, waiting: 1_000, remembered: 5_000 };

export const groupKey = (p: Pick<SmsPart, 'from' | 'to' | 'ref' | 'total'>) => `${p.from}\u0000${p.to}\u0000${p.ref}\u0000${p.total}`;

interface Group<P extends SmsPart> {
  from: string;
  parts: Map<number, P>;
  firstAt: number;
  timer: { cancel(): void };
}

interface Finished {
  // Part number -> digests of the texts received as it (a repeat matches one; texts are not kept).
  received: Map<number, Set<string>>;
  timer: { cancel(): void };
}

export interface ReassemblerOptions<P extends SmsPart> {
  clock: Clock;
  timers: Timers;
  waitMs: number;
  // How long a finished group is remembered, so that a repeated part is not taken for a new text.
  rememberMs?: number;
  // A group whose wait ran out (or that a cap pushed out), given with gap markers.
  onExpired: (message: AssembledSms<P>) => void;
  caps?: typeof SMS_CAPS;
}

export class SmsReassembler<P extends SmsPart = SmsPart> {
  readonly #o: Required<ReassemblerOptions<P>>;
  readonly #groups = new Map<string, Group<P>>();
  readonly #finished = new Map<string, Finished>();

  constructor(options: ReassemblerOptions<P>) {
    this.#o = { rememberMs: Math.max(10 * options.waitMs, 10 * 60_000), caps: SMS_CAPS, ...options };
  }

  // What add() would do with this part, without doing it (so the caller can store it durably first).
  classify(part: Pick<SmsPart, 'from' | 'to' | 'ref' | 'total' | 'part' | 'text'>): PartVerdict {
    const key = groupKey(part);
    const received = this.#finished.get(key)?.received;
    if (received?.get(part.part)?.has(digest(part.text))) return 'duplicate';
    const waiting = this.#groups.get(key);
    if (waiting) return waiting.parts.has(part.part) ? 'duplicate' : 'new';
    if (!received) return 'new';
    // The same reference again with another text: the sender's counter came round, a new text begins.
    return received.has(part.part) ? 'new' : 'late';
  }

  // Whether parts of this part's text are still waiting for their siblings.
  isWaiting(part: Pick<SmsPart, 'from' | 'to' | 'ref' | 'total'>): boolean {
    return this.#groups.has(groupKey(part));
  }

  // The message a part that comes after its text was given makes on its own (see add); nothing is
  // remembered, so a part whose message could not be delivered is late again when it is sent again.
  late(part: P): AssembledSms<P> {
    const { from, to, ref, total } = part;
    const text = `${lateMarker(part.part, total)} ${part.text}`;
    return { key: groupKey(part), from, to, ref, total, text, parts: [part], firstId: part.id, missing: [], late: true };
  }

  // A text given before that never reached the chat, put together again from its parts as stored (with
  // the same gaps): what it was made of stays remembered as received.
  again(parts: P[]): AssembledSms<P> {
    const group: Group<P> = { from: parts[0]!.from, parts: new Map(parts.map((p) => [p.part, p])), firstAt: 0, timer: { cancel: () => undefined } };
    return this.finish(groupKey(parts[0]!), group);
  }

  add(part: P): AddResult<P> {
    if (!Number.isInteger(part.part) || part.part < 1 || part.part > part.total) {
      throw new RangeError(`part ${part.part} is not within 1..${part.total}`);
    }
    const key = groupKey(part);
    const verdict = this.classify(part);
    if (verdict === 'duplicate') return { kind: 'duplicate' };
    if (verdict === 'late') {
      remember(this.#finished.get(key)!.received, part);
      return { kind: 'late', message: this.late(part) };
    }
    let group = this.#groups.get(key);
    if (!group) {
      this.makeRoom(part.from);
      // Restored parts keep their first arrival time: the wait is not restarted by a restart.
      const wait = Math.max(0, this.#o.waitMs - (this.#o.clock.now() - part.receivedAt));
      group = { from: part.from, parts: new Map(), firstAt: part.receivedAt, timer: this.#o.timers.schedule(wait, () => this.expire(key)) };
      this.#groups.set(key, group);
    }
    group.parts.set(part.part, part);
    if (part.receivedAt < group.firstAt) group.firstAt = part.receivedAt;
    if (group.parts.size < part.total) return { kind: 'pending' };
    return { kind: 'complete', message: this.finish(key, group) };
  }

  get pendingGroups(): number {
    return this.#groups.size;
  }

  shutdown(): void {
    for (const g of this.#groups.values()) g.timer.cancel();
    for (const f of this.#finished.values()) f.timer.cancel();
    this.#groups.clear();
    this.#finished.clear();
  }

  // The oldest text waiting (the sender's own, at the sender's cap) is given now, with its gaps.
  private makeRoom(from: string): void {
    const ofSender = [...this.#groups].filter(([, g]) => g.from === from);
    if (ofSender.length >= this.#o.caps.waitingPerSender) this.expire(ofSender[0]![0]);
    if (this.#groups.size >= this.#o.caps.waiting) this.expire(this.#groups.keys().next().value!);
  }

  private expire(key: string): void {
    const group = this.#groups.get(key);
    if (group) this.#o.onExpired(this.finish(key, group));
  }

  private finish(key: string, group: Group<P>): AssembledSms<P> {
    group.timer.cancel();
    // again() puts together a text given before: another text waiting with the same reference stays.
    if (this.#groups.get(key) === group) this.#groups.delete(key);
    const parts = [...group.parts.values()];
    const first = parts.reduce((a, b) => (b.receivedAt < a.receivedAt ? b : a));
    const total = first.total;
    const missing: number[] = [];
    for (let n = 1; n <= total; n++) if (!group.parts.has(n)) missing.push(n);
    // What was received before under this key stays remembered with it (a new text reused the reference).
    const received = this.#finished.get(key)?.received ?? new Map<number, Set<string>>();
    for (const p of group.parts.values()) remember(received, p);
    this.forget(key);
    this.#finished.set(key, {
      received,
      timer: this.#o.timers.schedule(this.#o.rememberMs, () => this.#finished.delete(key)),
    });
    // Past the cap the oldest is forgotten early: a repeat of its parts would be taken for a new text.
    if (this.#finished.size > this.#o.caps.remembered) this.forget(this.#finished.keys().next().value!);
    return assemble(key, parts, first.id, missing);
  }

  private forget(key: string): void {
    this.#finished.get(key)?.timer.cancel();
    this.#finished.delete(key);
  }
}

const digest = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 16);
const remember = (received: Map<number, Set<string>>, part: Pick<SmsPart, 'part' | 'text'>) => {
  const digests = received.get(part.part) ?? new Set<string>();
  // A few texts per reference are enough to know repeats; a sender reusing one without end adds no memory.
  if (digests.size >= 4) digests.delete(digests.values().next().value!);
  received.set(part.part, digests.add(digest(part.text)));
};

function assemble<P extends SmsPart>(key: string, parts: P[], firstId: string, missing: number[]): AssembledSms<P> {
  const sorted = [...parts].sort((a, b) => a.part - b.part);
  const first = sorted[0]!;
  const byNumber = new Map(sorted.map((p) => [p.part, p]));
  // Parts are concatenated as they are (a part may end or start inside a word); a gap marker is set
  // apart from its neighbours by a space.
  let text = '';
  let afterGap = false;
  for (let n = 1; n <= first.total; n++) {
    const p = byNumber.get(n);
    if (!p) {
      let last = n;
      while (last < first.total && !byNumber.has(last + 1)) last++;
      if (text && !/\s$/.test(text)) text += ' ';
      text += gapMarker(n, first.total, last);
      afterGap = true;
      n = last;
    } else {
      if (afterGap && p.text && !/^\s/.test(p.text)) text += ' ';
      text += p.text;
      afterGap = false;
    }
  }
  return {
    key,
    from: first.from,
    to: first.to,
    ref: first.ref,
    total: first.total,
    text,
    parts: sorted,
    firstId,
    missing,
    late: false,
  };
}

export function checkConcat(c: { ref: number; part: number; total: number }): void {
  if (!Number.isInteger(c.ref) || c.ref < 0 || c.ref > 65535) throw invalid('invalid_concat', 'concat.ref must be an integer from 0 to 65535.');
  if (!Number.isInteger(c.total) || c.total < 1 || c.total > MAX_PARTS) throw invalid('invalid_concat', `concat.total must be an integer from 1 to ${MAX_PARTS}.`);
  if (!Number.isInteger(c.part) || c.part < 1 || c.part > c.total) throw invalid('invalid_concat', 'concat.part must be an integer from 1 to concat.total.');
}

// A text longer than a chat message may be (255 parts can be) is shown as several messages.
export function splitText(text: string, max: number): string[] {
  const chunks: string[] = [];
  let rest = text;
  while (rest.length > max) {
    let cut = max;
    // Never split a surrogate pair.
    if (/[\ud800-\udbff]/.test(rest[cut - 1] ?? '')) cut -= 1;
    chunks.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  chunks.push(rest);
  return chunks.filter((c) => c.trim().length > 0);
}
