// What a part of call control keeps (call legs, supervisions): each by its id, and by every channel it
// owns with the role that channel plays there, because ARI's events name only a channel.
export class ChannelRegistry<T, Role extends string> {
  readonly #byId = new Map<string, T>();
  readonly #byChannel = new Map<string, { item: T; role: Role }>();
  // The channels an item owns now (null: not made yet).
  readonly #channelsOf: (item: T) => Array<[channelId: string | null | undefined, role: Role]>;

  constructor(channelsOf: (item: T) => Array<[channelId: string | null | undefined, role: Role]>) {
    this.#channelsOf = channelsOf;
  }

  get items(): ReadonlyMap<string, T> {
    return this.#byId;
  }

  get(id: string): T | undefined {
    return this.#byId.get(id);
  }

  byChannel(channelId: string): { item: T; role: Role } | undefined {
    return this.#byChannel.get(channelId);
  }

  add(id: string, item: T): void {
    this.#byId.set(id, item);
    for (const [channelId, role] of this.#channelsOf(item)) if (channelId) this.#byChannel.set(channelId, { item, role });
  }

  remove(id: string): void {
    const item = this.#byId.get(id);
    if (item === undefined) return;
    this.#byId.delete(id);
    for (const [channelId] of this.#channelsOf(item)) if (channelId) this.#byChannel.delete(channelId);
  }

  // A channel that changes hands while the item lives (a new agent phone, a new snoop).
  setChannel(channelId: string, item: T, role: Role): void {
    this.#byChannel.set(channelId, { item, role });
  }

  dropChannel(channelId: string): void {
    this.#byChannel.delete(channelId);
  }
}
