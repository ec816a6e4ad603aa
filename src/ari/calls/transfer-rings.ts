import type { AriEvent } from '../client.ts';
import { describeCause } from './causes.ts';

// New agents' phones ringing for a transfer of a live call leg, by channel. Each ring holds its leg's
// work until it is settled: by the phone's answer, its end, or the end of the call it would take.
export class TransferRings {
  readonly #byChannel = new Map<string, { legId: string; answered(): void; gone(err: Error): void }>();

  // Null once the phone answers, else why it will not; the ring is forgotten then.
  wait(channelId: string, legId: string): Promise<Error | null> {
    return new Promise<void>((resolve, reject) => this.#byChannel.set(channelId, { legId, answered: resolve, gone: reject })).then(
      () => null,
      (err: unknown) => err as Error,
    ).finally(() => this.#byChannel.delete(channelId));
  }

  // The ARI events of a ringing phone (false: not one).
  handle(event: AriEvent): boolean {
    const ring = event.channel ? this.#byChannel.get(event.channel.id) : undefined;
    if (!ring) return false;
    if (event.type === 'StasisStart') ring.answered();
    else if (event.type === 'ChannelDestroyed') ring.gone(new Error(`the new agent's phone did not answer (${describeCause(event.cause, event.cause_txt)})`));
    return true;
  }

  ringingFor(legId: string): boolean {
    return [...this.#byChannel.values()].some((ring) => ring.legId === legId);
  }

  // The call the ring would take ended (or was released): the ring ends at once.
  end(legId: string, why: Error): void {
    for (const ring of this.#byChannel.values()) if (ring.legId === legId) ring.gone(why);
  }

  // Reconciliation: a ringing phone gone while the events were away (its end will not come). Returns
  // the phones still up: channels of a live call, not strays.
  lost(up: ReadonlySet<string>): string[] {
    for (const [channelId, ring] of this.#byChannel) if (!up.has(channelId)) ring.gone(new Error("the new agent's phone went away while Asterisk was out of touch"));
    return [...this.#byChannel.keys()].filter((channelId) => up.has(channelId));
  }

  // Reconciliation, once the connection is up: a phone answered while the events were away (its
  // StasisStart will not come). A ring whose call ended meanwhile is gone already, and its phone hung up.
  answeredMeanwhile(channelId: string): void {
    this.#byChannel.get(channelId)?.answered();
  }
}
