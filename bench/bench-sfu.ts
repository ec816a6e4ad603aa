// What bench:video needs from an SFU, shared by the project's SFU (video.ts) and the mediasoup-alone
// baseline (baseline-mediasoup.ts).
import type { TransportInfo } from './webrtc-peer.ts';

/** One sending participant, many receiving transports. */
export interface BenchSfu {
  name: string;
  workerPid: number;
  createTransport(direction: 'send' | 'recv'): Promise<TransportInfo>;
  connect(transportId: string, dtlsParameters: unknown): Promise<void>;
  produce(transportId: string, rtpParameters: unknown): Promise<string>;
  /** Consumes every camera on this receiving transport (resumed); returns how many consumers it made. */
  consumeAll(transportId: string): Promise<number>;
  close(): Promise<void>;
}
