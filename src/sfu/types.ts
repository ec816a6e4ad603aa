// The project's own view of the video SFU. Nothing here names a mediasoup type: RTP, ICE and DTLS
// parameters travel as JSON-ish records, opaque to everyone but the SFU adapter and mediasoup-client.
// This is the shape a domain port can match, and what stays when the mediasoup version moves up.

export type Participant = 'agent' | 'customer';

export type MediaKind = 'audio' | 'video';

/** A JSON object passed through as is (RTP capabilities/parameters, ICE/DTLS parameters). */
export type JsonRecord = Record<string, unknown>;

/** What a browser needs for `device.createSendTransport()` / `createRecvTransport()`. */
export interface TransportInfo {
  id: string;
  iceParameters: JsonRecord;
  iceCandidates: JsonRecord[];
  dtlsParameters: JsonRecord;
}

/** What a browser needs for `recvTransport.consume()`; the consumer starts paused. */
export interface ConsumerInfo {
  id: string;
  producerId: string;
  kind: MediaKind;
  rtpParameters: JsonRecord;
}

export interface ParticipantCounts {
  transports: number;
  producers: number;
  consumers: number;
}

/** Counts for leak checks, read from the worker (router.dump() and transport.dump()). */
export interface SessionDump extends ParticipantCounts {
  sessionId: string;
  routerId: string;
  participants: Record<Participant, ParticipantCounts>;
}

export interface WorkerDump {
  pid: number;
  routers: number;
}

export interface SfuHealth {
  ok: boolean;
  workers: number;
  routers: number;
  sessions: number;
}

export interface NewProducerEvent {
  sessionId: string;
  participant: Participant;
  producerId: string;
  kind: MediaKind;
}

export interface ProducerClosedEvent {
  sessionId: string;
  participant: Participant;
  producerId: string;
}

export interface SessionClosedEvent {
  sessionId: string;
  /** 'closed': closeSession() or close(); 'worker_died': the worker hosting the router went away. */
  reason: 'closed' | 'worker_died';
}

export interface VideoSfuEvents {
  /** A participant started sending: the other one may consume it. */
  newproducer: NewProducerEvent;
  /** A producer ended (closed transport or participant); consumers of it are closed already. */
  producerclosed: ProducerClosedEvent;
  sessionclosed: SessionClosedEvent;
}

export interface SessionRef {
  sessionId: string;
}
export interface ParticipantRef extends SessionRef {
  participant: Participant;
}
export interface TransportRef extends ParticipantRef {
  transportId: string;
}

/**
 * One router per video session (created on demand), WebRTC transports per participant, producers,
 * consumers. Every close is idempotent and cascades (session -> transports -> producers -> the other
 * side's consumers). Use after close() throws SfuError 'sfu_closed'.
 */
export interface VideoSfu {
  readonly closed: boolean;
  /** Creates the session's router if needed; returns the router RTP capabilities for `device.load()`. */
  openSession(ref: SessionRef): Promise<{ routerRtpCapabilities: JsonRecord }>;
  hasSession(sessionId: string): boolean;
  sessionIds(): string[];
  /** The router RTP capabilities of a session opened before (a late request does not open it again). */
  sessionCapabilities(ref: SessionRef): Promise<{ routerRtpCapabilities: JsonRecord }>;
  /** In a session opened before. A browser needs one transport to send and one to receive. */
  createTransport(ref: ParticipantRef): Promise<TransportInfo>;
  connectTransport(ref: TransportRef & { dtlsParameters: unknown }): Promise<void>;
  produce(ref: TransportRef & { kind: MediaKind; rtpParameters: unknown }): Promise<{ id: string }>;
  /**
   * Consumes the OTHER participant's producers on this (receiving) transport: one producer when
   * `producerId` is given, else every one not consumed on it yet. Consumers start paused: call
   * resumeConsumer() once the browser has created its side.
   */
  consume(ref: TransportRef & { rtpCapabilities: unknown; producerId?: string }): Promise<ConsumerInfo[]>;
  resumeConsumer(ref: ParticipantRef & { consumerId: string }): Promise<void>;
  /** Stops one of the participant's tracks; the other side's consumers of it close with it. Idempotent. */
  closeProducer(ref: ParticipantRef & { producerId: string }): void;
  /** Closes one transport with its producers and consumers. Idempotent. */
  closeTransport(ref: TransportRef): void;
  /** The participant's consumers still open (a consumer closes with its producer). */
  consumerIds(ref: ParticipantRef): string[];
  closeParticipant(ref: ParticipantRef): void;
  closeSession(ref: SessionRef): void;
  dump(ref: SessionRef): Promise<SessionDump>;
  health(): SfuHealth;
  on<K extends keyof VideoSfuEvents>(event: K, listener: (e: VideoSfuEvents[K]) => void): this;
  off<K extends keyof VideoSfuEvents>(event: K, listener: (e: VideoSfuEvents[K]) => void): this;
  /** Closes every session, then the workers when the SFU owns them. */
  close(): Promise<void>;
}

export type SfuErrorKind = 'invalid' | 'not_found' | 'conflict' | 'unavailable';

export type SfuErrorCode =
  | 'video_session_not_found'
  | 'participant_not_found'
  | 'transport_not_found'
  | 'producer_not_found'
  | 'consumer_not_found'
  | 'invalid_participant'
  | 'invalid_parameters'
  | 'cannot_consume'
  | 'too_many_transports'
  | 'too_many_producers'
  | 'video_session_closed'
  | 'sfu_request_failed'
  | 'sfu_closed'
  | 'sfu_unavailable'
  | 'sfu_worker_missing';

/** pino-compatible subset. */
export interface SfuLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}
