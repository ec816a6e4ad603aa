// Video rooms on mediasoup, one per video session id: a router, WebRTC transports, producers and consumers per
// participant ('agent' | 'customer'), each participant consuming the other one's media. Implements the
// project's VideoSfu interface (types.ts); mediasoup types stay in this folder.
import { EventEmitter } from 'node:events';
import type { types as ms } from 'mediasoup';
import { SfuError, sfuClosed } from './errors.ts';
import { SilentTransports } from './silent-transports.ts';
import { checkParticipant, closedRoom, invalid, isRecord, MEDIA_CODECS, mediasoupFailure, PARTICIPANTS, VideoRoom, toJson, type ParticipantState } from './room.ts';
import type { WorkerPool } from './workers.ts';
import type { ConsumerInfo, JsonRecord, MediaKind, Participant, ParticipantCounts, ParticipantRef, SessionDump, SessionRef } from './types.ts';
import type { SfuHealth, SfuLogger, TransportInfo, TransportRef, VideoSfu, VideoSfuEvents } from './types.ts';

export interface VideoSessionsOptions {
  /** IP the transports bind to. Default 127.0.0.1. */
  listenIp?: string;
  /** IP written into ICE candidates when clients reach the SFU through another address (NAT, 0.0.0.0). */
  announcedIp?: string;
  enableTcp?: boolean;
  initialAvailableOutgoingBitrate?: number;
  /** Per participant and session; protects the ports from a misbehaving client. Defaults 4 and 4. */
  maxTransportsPerParticipant?: number;
  maxProducersPerParticipant?: number;
  /** A connected transport that receives nothing this long is closed (silent-transports.ts). Default 30 s; 0: never (bench:video's peers). */
  silentTransportMs?: number;
  /** close() also closes the worker pool. */
  ownsPool?: boolean;
  logger?: SfuLogger;
}

type Listener<K extends keyof VideoSfuEvents> = (e: VideoSfuEvents[K]) => void;

export class VideoSessions implements VideoSfu {
  readonly #pool: WorkerPool;
  readonly #opts: VideoSessionsOptions;
  readonly #log: SfuLogger | undefined;
  readonly #rooms = new Map<string, VideoRoom>();
  readonly #events = new EventEmitter();
  readonly #silent: SilentTransports;
  #closed = false;

  constructor(pool: WorkerPool, options: VideoSessionsOptions = {}) {
    this.#pool = pool;
    this.#opts = options;
    this.#log = options.logger;
    this.#silent = new SilentTransports({ silentMs: options.silentTransportMs ?? 30_000, logger: options.logger });
  }

  get closed(): boolean {
    return this.#closed;
  }

  on<K extends keyof VideoSfuEvents>(event: K, listener: Listener<K>): this {
    this.#events.on(event, listener);
    return this;
  }

  off<K extends keyof VideoSfuEvents>(event: K, listener: Listener<K>): this {
    this.#events.off(event, listener);
    return this;
  }

  hasSession(sessionId: string): boolean {
    const room = this.#rooms.get(sessionId);
    return !!room && !room.closing;
  }

  sessionIds(): string[] {
    return [...this.#rooms.values()].filter((room) => !room.closing).map((room) => room.id);
  }

  health(): SfuHealth {
    return {
      ok: !this.#closed && this.#pool.size > 0,
      workers: this.#pool.size,
      routers: this.#pool.routerCount,
      sessions: this.sessionIds().length,
    };
  }

  async openSession({ sessionId }: SessionRef): Promise<{ routerRtpCapabilities: JsonRecord }> {
    return { routerRtpCapabilities: toJson(this.#router(await this.#open(sessionId)).rtpCapabilities) };
  }

  async sessionCapabilities({ sessionId }: SessionRef): Promise<{ routerRtpCapabilities: JsonRecord }> {
    return { routerRtpCapabilities: toJson(this.#router(await this.#existing(sessionId)).rtpCapabilities) };
  }

  async createTransport({ sessionId, participant }: ParticipantRef): Promise<TransportInfo> {
    checkParticipant(participant);
    const room = await this.#existing(sessionId);
    const state = room.participant(participant);
    const max = this.#opts.maxTransportsPerParticipant ?? 4;
    if (state.transports.size + state.pendingTransports >= max) {
      throw new SfuError('conflict', 'too_many_transports', `${participant} already has ${max} transports in this session`);
    }
    state.pendingTransports += 1;
    const transport = await this.#call(room, () =>
      this.#router(room).createWebRtcTransport({
        listenIps: [{ ip: this.#opts.listenIp ?? '127.0.0.1', announcedIp: this.#opts.announcedIp }],
        enableUdp: true,
        enableTcp: this.#opts.enableTcp ?? true,
        preferUdp: true,
        initialAvailableOutgoingBitrate: this.#opts.initialAvailableOutgoingBitrate ?? 1_000_000,
        appData: { sessionId, participant },
      }),
    ).finally(() => {
      state.pendingTransports -= 1;
    });
    if (room.closing || room.participants.get(participant) !== state) {
      // The session or the participant was closed while the worker created it.
      transport.close();
      throw closedRoom(sessionId);
    }
    state.transports.set(transport.id, transport);
    transport.observer.once('close', () => state.transports.delete(transport.id));
    this.#silent.watch(transport, { sessionId, participant });
    return {
      id: transport.id,
      iceParameters: toJson(transport.iceParameters),
      iceCandidates: transport.iceCandidates.map(toJson),
      dtlsParameters: toJson(transport.dtlsParameters),
    };
  }

  async connectTransport(ref: TransportRef & { dtlsParameters: unknown }): Promise<void> {
    const { room, transport } = await this.#transport(ref);
    if (!isRecord(ref.dtlsParameters)) throw invalid('dtlsParameters must be an object');
    await this.#call(room, () => transport.connect({ dtlsParameters: ref.dtlsParameters as ms.DtlsParameters }));
  }

  async produce(ref: TransportRef & { kind: MediaKind; rtpParameters: unknown }): Promise<{ id: string }> {
    const { room, state, transport } = await this.#transport(ref);
    if (ref.kind !== 'audio' && ref.kind !== 'video') throw invalid('kind must be "audio" or "video"');
    if (!isRecord(ref.rtpParameters)) throw invalid('rtpParameters must be an object');
    const max = this.#opts.maxProducersPerParticipant ?? 4;
    if (state.producers.size + state.pendingProducers >= max) {
      throw new SfuError('conflict', 'too_many_producers', `${ref.participant} already sends ${max} tracks in this session`);
    }
    state.pendingProducers += 1;
    const producer = await this.#call(room, () =>
      transport.produce({
        kind: ref.kind,
        rtpParameters: ref.rtpParameters as ms.RtpParameters,
        appData: { sessionId: room.id, participant: ref.participant },
      }),
    ).finally(() => void (state.pendingProducers -= 1));
    // Its transport closed while the worker made it: mediasoup keeps such a producer open, for good.
    if (producer.closed || transport.closed) throw (producer.close(), closedRoom(room.id));
    state.producers.set(producer.id, producer);
    producer.observer.once('close', () => {
      state.producers.delete(producer.id);
      this.#emit('producerclosed', { sessionId: room.id, participant: ref.participant, producerId: producer.id });
    });
    this.#emit('newproducer', { sessionId: room.id, participant: ref.participant, producerId: producer.id, kind: ref.kind });
    return { id: producer.id };
  }

  async consume(ref: TransportRef & { rtpCapabilities: unknown; producerId?: string }): Promise<ConsumerInfo[]> {
    const { room, state, transport } = await this.#transport(ref);
    if (!isRecord(ref.rtpCapabilities)) throw invalid('rtpCapabilities must be an object');
    const rtpCapabilities = ref.rtpCapabilities as ms.RtpCapabilities;
    const other = room.participants.get(ref.participant === 'agent' ? 'customer' : 'agent');
    let producers = [...(other?.producers.values() ?? [])];
    if (ref.producerId !== undefined) {
      producers = producers.filter((p) => p.id === ref.producerId);
      if (producers.length === 0) {
        throw new SfuError('not_found', 'producer_not_found', `the other participant has no producer ${ref.producerId}`);
      }
    }
    // Read at each track, not once: another ask may have made one while this one awaited the worker.
    const received = (id: string) => [...state.consumers.values()].some((c) => c.appData.transportId === transport.id && c.producerId === id);
    const router = this.#router(room);
    const result: ConsumerInfo[] = [];
    for (const producer of producers) {
      const pending = `${transport.id} ${producer.id}`;
      if (received(producer.id) || state.pendingConsumers.has(pending) || producer.closed) continue;
      if (!router.canConsume({ producerId: producer.id, rtpCapabilities })) {
        throw new SfuError('invalid', 'cannot_consume', `these RTP capabilities cannot receive ${producer.kind} producer ${producer.id}`);
      }
      state.pendingConsumers.add(pending);
      const consumer = await this.#call(room, () =>
        transport.consume({
          producerId: producer.id,
          rtpCapabilities,
          paused: true, // resumed by resumeConsumer() once the browser is ready (avoids a lost key frame)
          appData: { sessionId: room.id, participant: ref.participant, transportId: transport.id },
        }),
      ).catch((err: unknown) => {
        state.pendingConsumers.delete(pending);
        throw err;
      });
      if (transport.closed) consumer.close(); // closed meanwhile: mediasoup keeps such a consumer open
      if (!consumer.closed) state.consumers.set(consumer.id, consumer); // received before no longer pending
      state.pendingConsumers.delete(pending);
      if (consumer.closed) continue; // its producer or transport closed meanwhile
      consumer.observer.once('close', () => state.consumers.delete(consumer.id));
      result.push({
        id: consumer.id,
        producerId: producer.id,
        kind: consumer.kind,
        rtpParameters: toJson(consumer.rtpParameters),
      });
    }
    return result;
  }

  async resumeConsumer(ref: ParticipantRef & { consumerId: string }): Promise<void> {
    const { room, state } = await this.#participant(ref);
    const consumer = state.consumers.get(ref.consumerId);
    if (!consumer) throw new SfuError('not_found', 'consumer_not_found', `no consumer ${ref.consumerId} for ${ref.participant}`);
    await this.#call(room, () => consumer.resume());
  }

  /** Stops one track of the participant (the other side's consumers of it close with it). Idempotent. */
  closeProducer({ sessionId, participant, producerId }: ParticipantRef & { producerId: string }): void {
    this.#rooms.get(sessionId)?.participants.get(participant)?.producers.get(producerId)?.close();
  }

  /** Closes one transport of the participant with its producers and consumers. Idempotent. */
  closeTransport({ sessionId, participant, transportId }: TransportRef): void {
    this.#rooms.get(sessionId)?.participants.get(participant)?.transports.get(transportId)?.close();
  }

  /** The participant's consumers still open (a consumer closes with the producer it receives). */
  consumerIds({ sessionId, participant }: ParticipantRef): string[] {
    return [...(this.#rooms.get(sessionId)?.participants.get(participant)?.consumers.keys() ?? [])];
  }

  /** Closes the participant's transports (its producers and the other side's consumers of them). Idempotent. */
  closeParticipant({ sessionId, participant }: ParticipantRef): void {
    const room = this.#rooms.get(sessionId);
    const state = room?.participants.get(participant);
    if (!room || !state) return;
    room.participants.delete(participant);
    for (const t of [...state.transports.values()]) t.close();
  }

  /** Closes the session's router and everything on it. Idempotent; the id may be opened again later. */
  closeSession({ sessionId }: SessionRef): void {
    const room = this.#rooms.get(sessionId);
    if (room) this.#closeRoom(room, 'closed');
  }

  async dump({ sessionId }: SessionRef): Promise<SessionDump> {
    const room = await this.#existing(sessionId);
    const router = this.#router(room);
    const d = (await this.#call(room, () => router.dump())) as {
      id: string;
      transportIds: string[];
      mapProducerIdConsumerIds: Record<string, string[]>;
      mapConsumerIdProducerId: Record<string, string>;
    };
    const participants = {} as Record<Participant, ParticipantCounts>;
    for (const p of PARTICIPANTS) {
      const counts: ParticipantCounts = { transports: 0, producers: 0, consumers: 0 };
      for (const t of room.participants.get(p)?.transports.values() ?? []) {
        const td = (await this.#call(room, () => t.dump())) as { producerIds: string[]; consumerIds: string[] };
        counts.transports += 1;
        counts.producers += td.producerIds.length;
        counts.consumers += td.consumerIds.length;
      }
      participants[p] = counts;
    }
    return {
      sessionId: room.id,
      routerId: d.id,
      transports: d.transportIds.length,
      producers: Object.keys(d.mapProducerIdConsumerIds).length,
      consumers: Object.keys(d.mapConsumerIdProducerId).length,
      participants,
    };
  }

  /** Closes every session (then the pool when owned). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#silent.stop();
    for (const room of [...this.#rooms.values()]) this.#closeRoom(room, 'closed');
    if (this.#opts.ownsPool) this.#pool.close();
  }

  // ---- internals ----

  async #open(sessionId: string): Promise<VideoRoom> {
    if (this.#closed) throw sfuClosed();
    if (typeof sessionId !== 'string' || sessionId === '') throw invalid('sessionId must be a non-empty string');
    let room = this.#rooms.get(sessionId);
    if (!room || room.closing) {
      const created = new VideoRoom(sessionId);
      created.ready = this.#createRouter(created);
      this.#rooms.set(sessionId, created);
      room = created;
    }
    await room.ready;
    if (room.closing) throw closedRoom(sessionId);
    return room;
  }

  async #createRouter(room: VideoRoom): Promise<void> {
    let router: ms.Router;
    try {
      router = await this.#pool.createRouter(MEDIA_CODECS, { sessionId: room.id });
    } catch (err) {
      if (this.#rooms.get(room.id) === room) this.#rooms.delete(room.id);
      room.closing = room.closed = true;
      if (err instanceof SfuError) throw err;
      throw new SfuError('unavailable', 'sfu_unavailable', `could not create a router: ${String(err)}`, { cause: err });
    }
    room.router = router;
    router.observer.once('close', () => this.#onRouterClosed(room));
    if (room.closing) router.close();
  }

  async #existing(sessionId: string): Promise<VideoRoom> {
    if (this.#closed) throw sfuClosed();
    const room = this.#rooms.get(sessionId);
    if (!room || room.closing) throw new SfuError('not_found', 'video_session_not_found', `no video session ${sessionId}`);
    await room.ready;
    if (room.closing) throw closedRoom(sessionId);
    return room;
  }

  async #participant(ref: ParticipantRef): Promise<{ room: VideoRoom; state: ParticipantState }> {
    checkParticipant(ref.participant);
    const room = await this.#existing(ref.sessionId);
    const state = room.participants.get(ref.participant);
    if (!state) {
      throw new SfuError('not_found', 'participant_not_found', `${ref.participant} has no transport in video session ${ref.sessionId}`);
    }
    return { room, state };
  }

  async #transport(ref: TransportRef): Promise<{ room: VideoRoom; state: ParticipantState; transport: ms.WebRtcTransport }> {
    const { room, state } = await this.#participant(ref);
    const transport = state.transports.get(ref.transportId);
    if (!transport) throw new SfuError('not_found', 'transport_not_found', `no transport ${ref.transportId} for ${ref.participant}`);
    return { room, state, transport };
  }

  #router(room: VideoRoom): ms.Router {
    if (!room.router || room.closing) throw closedRoom(room.id);
    return room.router;
  }

  /** Runs a mediasoup call, turning its errors into SfuErrors (room.ts mediasoupFailure). */
  async #call<T>(room: VideoRoom, fn: () => Promise<T> | T): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw mediasoupFailure(err, room);
    }
  }

  #closeRoom(room: VideoRoom, reason: 'closed' | 'worker_died'): void {
    if (room.closing) return;
    room.closing = true;
    if (room.router) room.router.close(); // -> #onRouterClosed
    else this.#finishClose(room, reason); // router still being created: #createRouter closes it
  }

  #onRouterClosed(room: VideoRoom): void {
    const reason = room.closing ? 'closed' : 'worker_died';
    room.closing = true;
    this.#finishClose(room, reason);
  }

  #finishClose(room: VideoRoom, reason: 'closed' | 'worker_died'): void {
    if (room.closed) return;
    room.closed = true;
    room.participants.clear();
    if (this.#rooms.get(room.id) === room) this.#rooms.delete(room.id);
    if (reason === 'worker_died') this.#log?.warn({ sessionId: room.id }, 'video session lost with its mediasoup worker');
    this.#emit('sessionclosed', { sessionId: room.id, reason });
  }

  /** Like mediasoup's safeEmit: a throwing listener never breaks the SFU's own bookkeeping. */
  #emit<K extends keyof VideoSfuEvents>(event: K, payload: VideoSfuEvents[K]): void {
    for (const listener of this.#events.listeners(event)) {
      try {
        (listener as Listener<K>)(payload);
      } catch (err) {
        this.#log?.error({ err, event }, 'video SFU event listener threw');
      }
    }
  }
}
