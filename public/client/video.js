// Video client shared by the agent desktop and the customer page (bundled with mediasoup-client and served
// as /client/video.js). It signals over HTTP JSON through the server's rules, sends the camera (and the
// microphone when no phone call carries the voice), receives the other side's tracks by asking `consume`
// about once a second, and tears everything down when its <video> elements leave the page or stop() is
// called. Transports the server dropped (a socket closed, a restart) are made again.
import { Device } from 'mediasoup-client';

const POLL_MS = 1000;
const RETRY_MS = [1000, 2000, 4000, 8000];
// A media connection 'disconnected' this long is taken as lost: ICE often heals a short loss by
// itself, and 'failed' may come only half a minute later.
const MEDIA_LOST_MS = 5000;

export class SignalError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'SignalError';
    this.status = status;
    this.code = code;
  }
}

/** A `signal` function posting JSON to `url` (with extra headers, e.g. the CSRF token or a Bearer token). */
export function httpSignal(url, headers = {}) {
  return async (request) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...headers },
      body: JSON.stringify(request),
      credentials: 'same-origin',
      cache: 'no-store',
      // Closing is what a page sends as it goes (pagehide): the request must outlive it.
      keepalive: request.op === 'close_transport',
    });
    const body = await res.json().catch(() => null);
    if (!res.ok) {
      const e = body && body.error ? body.error : {};
      throw new SignalError(res.status, e.code || `http_${res.status}`, e.message || `Video signaling failed (${res.status}).`);
    }
    return body;
  };
}

// The video is over for this page (ended, refused): stop instead of trying again.
const FINAL_CODES = new Set(['video_not_active', 'chat_ended']);
const isFinal = (err) => err instanceof SignalError && (FINAL_CODES.has(err.code) || err.status === 401 || err.status === 403);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// getUserMedia's refusals of a device (none there, permission denied, held by another program): the
// video goes on without it, receiving, and says so. One held elsewhere (or that failed to start) may be
// free later: it is asked for again every DEVICE_RETRY_MS, and taken up once it is.
const DEVICE_ERRORS = new Set(['NotFoundError', 'NotAllowedError', 'NotReadableError', 'OverconstrainedError', 'SecurityError', 'AbortError']);
const FOR_NOW = new Set(['NotReadableError', 'AbortError']);
const DEVICE_RETRY_MS = 10_000;
const CAMERA = { video: { width: { ideal: 640 }, height: { ideal: 480 } } };

// A device refused for now, worth asking for again.
const dueAgain = (problem) => problem.forNow && Date.now() - problem.at >= DEVICE_RETRY_MS;

async function deviceOrProblem(constraints) {
  try {
    return { stream: await navigator.mediaDevices.getUserMedia(constraints) };
  } catch (err) {
    if (!(err instanceof DOMException) || !DEVICE_ERRORS.has(err.name)) throw err;
    return { problem: { why: err.message || err.name, forNow: FOR_NOW.has(err.name), at: Date.now() } };
  }
}

class VideoCall {
  constructor({ signal, localVideo, remoteVideo, withAudio, onState }) {
    this.signal = signal;
    this.localVideo = localVideo;
    this.remoteVideo = remoteVideo;
    this.audioWanted = withAudio; // undefined: as the server says
    this.onState = onState || (() => {});
    this.stopped = false;
    this.device = null;
    this.camera = null; // MediaStream of the camera (video track only)
    this.mic = null; // MediaStreamTrack while the video carries audio
    this.send = null;
    this.recv = null;
    this.producers = new Map(); // kind -> Producer
    this.consumers = new Map(); // consumer id -> Consumer
    this.remoteStream = new MediaStream();
    this.failures = 0;
    this.done = null;
    this.mediaDownSince = null; // when a transport was last seen connected, once one is not
    this.deviceProblems = new Map(); // 'camera' | 'microphone' -> {why, forNow, at}: it could not be used
    this.staleTransports = []; // ids whose closing did not reach the server (the network was away)
  }

  start() {
    this.watchRemoval();
    this.done = this.run();
    return this.done;
  }

  async run() {
    while (!this.stopped) {
      try {
        await this.connect();
        this.failures = 0;
        while (!this.stopped) {
          await this.poll();
          await sleep(POLL_MS);
        }
      } catch (err) {
        if (this.stopped) return;
        if (isFinal(err)) {
          this.state('ended', err.message);
          await this.stop();
          return;
        }
        await this.closeTransports(this.dropTransports());
        const wait = RETRY_MS[Math.min(this.failures, RETRY_MS.length - 1)];
        this.failures += 1;
        this.state('reconnecting', `Video interrupted (${err.message}); retrying…`);
        await sleep(wait);
      }
    }
  }

  async connect() {
    this.state('connecting', 'Connecting video…');
    const caps = await this.signal({ op: 'capabilities' });
    // The server is reached again: what could not be closed then is closed now, so the other side
    // stops receiving this side's old, frozen tracks.
    await this.closeTransports(this.staleTransports.splice(0));
    if (!this.device) {
      this.device = new Device();
      await this.device.load({ routerRtpCapabilities: caps.routerRtpCapabilities });
    }
    if (!this.camera && !this.deviceProblems.has('camera')) {
      const { stream: camera, problem } = await deviceOrProblem(CAMERA);
      if (this.stopped) {
        for (const track of camera ? camera.getTracks() : []) track.stop();
        return;
      }
      if (problem) this.deviceProblems.set('camera', problem);
      this.camera = camera || null;
      this.localVideo.srcObject = this.camera;
      this.remoteVideo.srcObject = this.remoteStream;
    }
    this.send = await this.transport('send');
    this.recv = await this.transport('recv');
    const track = this.camera ? this.camera.getVideoTracks()[0] : undefined;
    if (track) this.producers.set('video', await this.send.produce({ track, stopTracks: false }));
    await this.reconcileAudio(caps.withAudio);
    this.mediaDownSince = null;
    this.state('live', this.deviceNote());
  }

  // What the other side is missing of this one, and why (empty when nothing is).
  deviceNote() {
    return [...this.deviceProblems]
      .map(([device, { why }]) => `Your ${device} cannot be used (${why}): the other side ${device === 'camera' ? 'does not see' : 'does not hear'} you.`)
      .join(' ');
  }

  async transport(direction) {
    const info = await this.signal({ op: 'create_transport' });
    if (this.stopped) {
      // stop() ran meanwhile and did not know this one.
      await this.closeTransports([info.id]);
      throw new Error('stopped');
    }
    const transport = direction === 'send' ? this.device.createSendTransport(info) : this.device.createRecvTransport(info);
    transport.on('connect', ({ dtlsParameters }, done, fail) => {
      this.signal({ op: 'connect_transport', transportId: transport.id, dtlsParameters }).then(() => done(), fail);
    });
    if (direction === 'send') {
      transport.on('produce', ({ kind, rtpParameters }, done, fail) => {
        this.signal({ op: 'produce', transportId: transport.id, kind, rtpParameters }).then(({ id }) => done({ id }), fail);
      });
    }
    return transport;
  }

  // One round: receive the other side's new tracks, drop the ones that ended, follow the audio rule.
  async poll() {
    const answer = await this.signal({ op: 'consume', transportId: this.recv.id, rtpCapabilities: this.device.recvRtpCapabilities });
    for (const info of answer.consumers) {
      const consumer = await this.recv.consume(info);
      this.consumers.set(consumer.id, consumer);
      await this.signal({ op: 'resume', consumerId: consumer.id });
    }
    const live = new Set(answer.live);
    for (const [id, consumer] of this.consumers) {
      if (live.has(id)) continue;
      consumer.close();
      this.consumers.delete(id);
    }
    if (this.showNewestTracks()) this.remoteVideo.srcObject = this.remoteStream;
    await this.retryCamera();
    await this.reconcileAudio(answer.withAudio);
    this.checkMedia();
    await this.updateStats();
  }

  // The window shows the newest track of each kind received. An older one may come from a page of the
  // other side that went away without closing (a phone's OS killed it): its picture is frozen until
  // the server drops it. If the newest goes, the one before it shows again. Says whether it changed.
  showNewestTracks() {
    const newest = new Map(); // kind -> track (consumers are kept in the order they came)
    for (const consumer of this.consumers.values()) newest.set(consumer.kind, consumer.track);
    const shown = new Set(newest.values());
    let changed = false;
    for (const track of this.remoteStream.getTracks()) {
      if (shown.has(track)) continue;
      this.remoteStream.removeTrack(track);
      changed = true;
    }
    for (const track of shown) {
      if (this.remoteStream.getTrackById(track.id)) continue;
      this.remoteStream.addTrack(track);
      changed = true;
    }
    return changed;
  }

  // The media (ICE, DTLS) can be lost while signalling still answers: a phone moving from Wi-Fi to
  // mobile data, a NAT forgetting its mapping. Throwing makes the transports anew (run()).
  checkMedia() {
    const states = [this.send, this.recv].map((transport) => transport.connectionState);
    if (states.includes('failed')) throw new Error('the media connection failed');
    if (!states.includes('disconnected')) {
      this.mediaDownSince = null;
      return;
    }
    this.mediaDownSince ??= Date.now();
    if (Date.now() - this.mediaDownSince >= MEDIA_LOST_MS) throw new Error('the media connection was lost');
  }

  // A camera another program held is asked for again; taken up, it is sent at once.
  async retryCamera() {
    const held = this.deviceProblems.get('camera');
    if (!held || !dueAgain(held)) return;
    const { stream, problem } = await deviceOrProblem(CAMERA);
    if (this.stopped) {
      for (const track of stream ? stream.getTracks() : []) track.stop();
      return;
    }
    if (problem) return void this.deviceProblems.set('camera', problem);
    this.deviceProblems.delete('camera');
    this.camera = stream;
    this.localVideo.srcObject = stream;
    const track = stream.getVideoTracks()[0];
    if (track) this.producers.set('video', await this.send.produce({ track, stopTracks: false }));
    this.state('live', this.deviceNote());
  }

  // The video carries the voice only while no phone call does.
  async reconcileAudio(serverSays) {
    const wanted = this.audioWanted ?? serverSays;
    const producer = this.producers.get('audio');
    if (wanted && !producer) {
      if (!this.mic) {
        const held = this.deviceProblems.get('microphone');
        if (held && !dueAgain(held)) return;
        const { stream, problem } = await deviceOrProblem({ audio: true });
        const mic = stream ? stream.getAudioTracks()[0] || null : null;
        if (this.stopped) {
          if (mic) mic.stop();
          return;
        }
        if (problem) {
          this.deviceProblems.set('microphone', problem);
          this.state(this.lastState, this.deviceNote());
          return;
        }
        this.mic = mic;
        if (held) {
          this.deviceProblems.delete('microphone');
          this.state(this.lastState, this.deviceNote());
        }
      }
      if (this.mic) this.producers.set('audio', await this.send.produce({ track: this.mic, stopTracks: false }));
    } else if (!wanted && producer) {
      this.producers.delete('audio');
      producer.close();
      await this.signal({ op: 'close_producer', producerId: producer.id });
      if (this.mic) this.mic.stop();
      this.mic = null;
    }
  }

  async stats() {
    const out = { framesDecoded: 0, framesEncoded: 0, bytesReceived: 0, consumers: this.consumers.size, producers: this.producers.size, state: this.lastState };
    for (const consumer of this.consumers.values()) {
      if (consumer.kind !== 'video' || consumer.closed) continue;
      for (const s of (await consumer.getStats()).values()) {
        if (s.type === 'inbound-rtp') {
          out.framesDecoded += s.framesDecoded || 0;
          out.bytesReceived += s.bytesReceived || 0;
        }
      }
    }
    const video = this.producers.get('video');
    if (video && !video.closed) {
      for (const s of (await video.getStats()).values()) if (s.type === 'outbound-rtp') out.framesEncoded += s.framesEncoded || 0;
    }
    return out;
  }

  async updateStats() {
    const s = await this.stats();
    window.videoStats = s; // read by tests: framesDecoded rises while the other side's camera arrives
  }

  state(name, text) {
    this.lastState = name;
    this.onState(name, text);
  }

  // Closes this side's transports (their producers and consumers with them); returns their ids.
  dropTransports() {
    const ids = [this.send, this.recv].filter(Boolean).map((t) => t.id);
    for (const consumer of this.consumers.values()) this.remoteStream.removeTrack(consumer.track);
    this.consumers.clear();
    this.producers.clear();
    if (this.send) this.send.close();
    if (this.recv) this.recv.close();
    this.send = this.recv = null;
    return ids;
  }

  // Tells the server, so these transports go now rather than with the page's socket. The video may be
  // over, or the transports gone already (the server then refuses or says so, which is fine). One the
  // server could not be told of is tried again at the next connect.
  async closeTransports(ids) {
    await Promise.all(
      ids.map((transportId) =>
        this.signal({ op: 'close_transport', transportId }).catch((err) => {
          if (err instanceof SignalError) return;
          console.warn('closing a video transport failed', err);
          if (!this.stopped) this.staleTransports.push(transportId);
        }),
      ),
    );
  }

  watchRemoval() {
    this.observer = new MutationObserver(() => {
      if (!this.localVideo.isConnected || !this.remoteVideo.isConnected) this.stop().catch((err) => console.error('stopping video failed', err));
    });
    this.observer.observe(document.documentElement, { childList: true, subtree: true });
    this.onPageHide = () => this.stop().catch((err) => console.error('stopping video failed', err));
    window.addEventListener('pagehide', this.onPageHide);
  }

  async stop() {
    if (this.stopped) return;
    this.stopped = true;
    this.observer.disconnect();
    window.removeEventListener('pagehide', this.onPageHide);
    const transports = this.dropTransports();
    for (const track of [...(this.camera ? this.camera.getTracks() : []), ...(this.mic ? [this.mic] : [])]) track.stop();
    this.camera = this.mic = null;
    this.localVideo.srcObject = null;
    this.remoteVideo.srcObject = null;
    this.state('stopped', '');
    await this.closeTransports(transports);
  }
}

/**
 * Starts video between this page and the SFU. `signal(request)` answers the server's JSON (see
 * httpSignal); `withAudio` forces sending the microphone or not (default: as the server says, i.e.
 * not while a phone call is up). Returns {stop(), stats(), done}.
 */
export function startVideo({ signal, localVideo, remoteVideo, withAudio, onState }) {
  const call = new VideoCall({ signal, localVideo, remoteVideo, withAudio, onState });
  const done = call.start().catch((err) => {
    call.state('failed', `Video failed: ${err.message}`);
    console.error('video failed', err);
  });
  window.videoCall = call;
  return { stop: () => call.stop(), stats: () => call.stats(), done };
}
