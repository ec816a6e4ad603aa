// The baseline of bench:video: the same produce/consume done with mediasoup alone, as its own docs show
// it (one worker, one router, WebRTC transports with their defaults, consumers created unpaused), so the
// bench can tell what the project's SFU layer costs on top of mediasoup.
import type { types as ms } from 'mediasoup';
import type { BenchSfu } from './bench-sfu.ts';
import type { TransportInfo } from './webrtc-peer.ts';

type Mediasoup = typeof import('mediasoup');

export async function startBaseline(workerBin: string): Promise<BenchSfu> {
  process.env.MEDIASOUP_WORKER_BIN ??= workerBin; // mediasoup 3.8 reads it when it loads
  const mod = (await import('mediasoup')) as Mediasoup & { default?: Mediasoup };
  const mediasoup = mod.default ?? mod;
  const worker = await mediasoup.createWorker({ logLevel: 'warn' });
  const router = await worker.createRouter({
    mediaCodecs: [
      { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
      { kind: 'video', mimeType: 'video/VP8', clockRate: 90000 },
    ],
  });
  const transports = new Map<string, ms.WebRtcTransport>();
  const producers: ms.Producer[] = [];
  const info = (t: ms.WebRtcTransport): TransportInfo =>
    JSON.parse(JSON.stringify({ id: t.id, iceParameters: t.iceParameters, iceCandidates: t.iceCandidates, dtlsParameters: t.dtlsParameters })) as TransportInfo;
  return {
    name: 'mediasoup alone (baseline)',
    workerPid: worker.pid,
    async createTransport() {
      const t = await router.createWebRtcTransport({ listenIps: [{ ip: '127.0.0.1' }] });
      transports.set(t.id, t);
      return info(t);
    },
    async connect(transportId, dtlsParameters) {
      await transports.get(transportId)!.connect({ dtlsParameters: dtlsParameters as ms.DtlsParameters });
    },
    async produce(transportId, rtpParameters) {
      const p = await transports.get(transportId)!.produce({ kind: 'video', rtpParameters: rtpParameters as ms.RtpParameters });
      producers.push(p);
      return p.id;
    },
    async consumeAll(transportId) {
      const t = transports.get(transportId)!;
      for (const p of producers) await t.consume({ producerId: p.id, rtpCapabilities: router.rtpCapabilities });
      return producers.length;
    },
    async close() {
      worker.close();
    },
  };
}
