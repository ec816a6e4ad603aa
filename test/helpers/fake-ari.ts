// An in-memory Asterisk behind the part of ARI the call adapters use (channels, bridges), for unit
// tests of src/ari/calls: which channels and bridges are up, what was asked in order, ARI's 404 for what
// is not there, and an "ARI down" switch where the connection throws as AriApp.current() does.
// A snoop channel enters the Stasis app (StasisStart) a turn after it is made; an originated phone
// answers when the test says (enter()), and hangs up when it says (destroy()). It is also the client
// the connection (src/ari/connection.ts) is given: its event stream drops and opens again on cue.
import type { Ari, AriEvent } from '../../src/ari/client.ts';
import { AriHttpError } from '../../src/ari/errors.ts';

export class FakeAri {
  readonly channels = new Set<string>();
  // Channels answered ('Up' in the channel list): those that entered the app, or set so by a test.
  readonly answered = new Set<string>();
  readonly bridges = new Map<string, Set<string>>();
  readonly log: string[] = [];
  up = true;
  // Where StasisStart of a snoop or an answered phone goes (the adapter's handle()).
  onEvent: (event: AriEvent) => void = () => undefined;
  // Who listens to the event stream as ari-client's (on('*'), on('WebSocketConnected')...).
  readonly #listeners = new Map<string, Array<(event: AriEvent) => void>>();

  // The connection as the adapters take it: throws while ARI is down.
  readonly current = (): Ari => {
    if (!this.up) throw new Error('Asterisk is not reachable (ARI down)');
    return this.#ari;
  };

  enter(channelId: string): void {
    this.answered.add(channelId);
    this.emit({ type: 'StasisStart', channel: { id: channelId } as AriEvent['channel'] });
  }

  // The phone of `channelId` hangs up (a Q.850 cause: 16 normal clearing).
  destroy(channelId: string, cause = 16): void {
    this.channels.delete(channelId);
    this.answered.delete(channelId);
    for (const members of this.bridges.values()) members.delete(channelId);
    this.emit({ type: 'ChannelDestroyed', cause, channel: { id: channelId } as AriEvent['channel'] });
  }

  emit(event: AriEvent): void {
    this.onEvent(event);
    for (const listener of [...(this.#listeners.get('*') ?? []), ...(this.#listeners.get(event.type) ?? [])]) listener(event);
  }

  // The event stream as ari-client reports it: 'WebSocketReconnecting', then 'WebSocketConnected'.
  signal(what: 'WebSocketReconnecting' | 'WebSocketConnected' | 'WebSocketMaxRetries'): void {
    for (const listener of this.#listeners.get(what) ?? []) listener({ type: what });
  }

  readonly #ari = {
    on: (type: string, listener: (event: AriEvent) => void) => void this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]),
    removeAllListeners: () => this.#listeners.clear(),
    start: async (app: string) => void this.log.push(`start ${app}`),
    stop: () => void this.log.push('stop'),
    channels: {
      originate: async (p: { channelId: string }) => this.#add(p.channelId, 'originate'),
      snoopChannelWithId: async (p: { snoopId: string }) => this.#add(p.snoopId, 'snoop'),
      hangup: async (p: { channelId: string }) => {
        this.log.push(`hangup ${p.channelId}`);
        if (!this.channels.delete(p.channelId)) throw new AriHttpError(404, 'Channel not found');
        for (const members of this.bridges.values()) members.delete(p.channelId);
      },
      list: async () => [...this.channels].map((id) => ({ id, state: this.answered.has(id) ? 'Up' : 'Ringing' })),
      stopMoh: async (p: { channelId: string }) => void this.log.push(`stop music ${p.channelId}`),
    },
    bridges: {
      create: async (p: { bridgeId: string }) => {
        this.log.push(`create ${p.bridgeId}`);
        this.bridges.set(p.bridgeId, new Set());
        return { id: p.bridgeId };
      },
      destroy: async (p: { bridgeId: string }) => {
        this.log.push(`destroy ${p.bridgeId}`);
        if (!this.bridges.delete(p.bridgeId)) throw new AriHttpError(404, 'Bridge not found');
      },
      addChannel: async (p: { bridgeId: string; channel: string | string[] }) => {
        this.log.push(`add ${[p.channel].flat().join(',')} to ${p.bridgeId}`);
        const members = this.bridges.get(p.bridgeId);
        if (!members) throw new AriHttpError(404, 'Bridge not found');
        for (const c of [p.channel].flat()) members.add(c);
      },
      removeChannel: async (p: { bridgeId: string; channel: string }) => {
        if (!this.bridges.get(p.bridgeId)?.delete(p.channel)) throw new AriHttpError(422, 'Channel not in bridge');
      },
      list: async () => [...this.bridges].map(([id, members]) => ({ id, name: id, channels: [...members] })),
      stopMoh: async (p: { bridgeId: string }) => void this.log.push(`stop music ${p.bridgeId}`),
      startMoh: async (p: { bridgeId: string }) => void this.log.push(`music ${p.bridgeId}`),
    },
  } as unknown as Ari;

  #add(channelId: string, what: string): { id: string } {
    this.log.push(`${what} ${channelId}`);
    this.channels.add(channelId);
    if (what === 'snoop') setImmediate(() => this.enter(channelId));
    return { id: channelId };
  }

  // The supervisors' channels still up in Asterisk.
  supervisorChannels(): string[] {
    return [...this.channels].filter((c) => c.startsWith('sv-'));
  }
}
