// The agent's browser softphone (sip.js), loaded only when the agent uses it. It registers the agent's
// endpoint through the web server's /sip proxy and answers the controller's calls automatically: the
// controller rings the agent first, then dials the customer.
import { Registerer, RegistererState, SessionState, UserAgent } from 'sip.js';

let current = null;

export async function startSoftphone({ onState }) {
  if (current) return current;
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? '';
  const res = await fetch('/desktop/softphone', { method: 'POST', headers: { Accept: 'application/json', 'X-CSRF-Token': csrf } });
  if (!res.ok) throw new Error(`softphone settings: ${res.status}`);
  current = await startPhone({ settings: await res.json(), autoAnswer: true, onState });
  return current;
}

// A SIP phone in the page. `settings` = {path, username, password, domain, displayName, iceServers};
// with autoAnswer an incoming call is answered at once (the agent's phone: the controller calls it),
// otherwise onIncoming(call) gets {answer(), hangUp()} (a customer's phone in development).
export async function startPhone({ settings: cfg, autoAnswer, onState, onIncoming, onEnded }) {
  const wsUrl = new URL(cfg.path, location.href);
  wsUrl.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';

  const audio = document.createElement('audio');
  audio.autoplay = true;
  audio.id = 'softphone-audio';
  document.body.appendChild(audio);

  const phone = { ua: null, registerer: null, session: null, audio };
  const ua = new UserAgent({
    uri: UserAgent.makeURI(`sip:${cfg.username}@${cfg.domain}`),
    transportOptions: { server: wsUrl.toString() },
    authorizationUsername: cfg.username,
    authorizationPassword: cfg.password,
    displayName: cfg.displayName,
    logLevel: 'warn',
    sessionDescriptionHandlerFactoryOptions: { peerConnectionConfiguration: { iceServers: cfg.iceServers || [] } },
    delegate: {
      onInvite(invitation) {
        phone.session = invitation;
        invitation.stateChange.addListener((state) => {
          if (state === SessionState.Established) attachAudio(invitation, audio);
          if (state === SessionState.Terminated && phone.session === invitation) {
            phone.session = null;
            if (onEnded) onEnded();
          }
        });
        const answer = () =>
          invitation.accept({ sessionDescriptionHandlerOptions: { constraints: { audio: true, video: false } } }).catch((err) => {
            onState(`Could not answer: ${err.message}`, 'error');
          });
        const hangUp = () => (invitation.state === SessionState.Established ? invitation.bye() : invitation.reject()).catch((err) => onState(`Hang up failed: ${err.message}`, 'error'));
        phone.hangUp = hangUp;
        if (autoAnswer) answer();
        else if (onIncoming) onIncoming({ from: invitation.remoteIdentity.uri.user, answer, hangUp });
      },
      onDisconnect(error) {
        onState(error ? 'Phone disconnected, retrying…' : 'Phone disconnected', 'error');
        if (error) setTimeout(() => reconnect(phone, onState, RETRY_MIN_MS), RETRY_MIN_MS);
      },
    },
  });
  phone.ua = ua;
  phone.registerer = new Registerer(ua, { expires: 300 });
  phone.registerer.stateChange.addListener((state) => {
    const text = { [RegistererState.Registered]: 'Phone ready', [RegistererState.Unregistered]: 'Phone not registered', [RegistererState.Initial]: 'Phone starting' }[state];
    onState(text || `Phone ${state}`, state === RegistererState.Registered ? 'ok' : 'idle');
  });
  onState('Phone connecting…', 'idle');
  await ua.start();
  await phone.registerer.register();
  // Tests and support read the media counters from here.
  phone.stats = async () => {
    const pc = phone.session?.sessionDescriptionHandler?.peerConnection;
    if (!pc) return null;
    const out = { packetsSent: 0, packetsReceived: 0 };
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'outbound-rtp' && s.kind === 'audio') out.packetsSent += s.packetsSent;
      if (s.type === 'inbound-rtp' && s.kind === 'audio') out.packetsReceived += s.packetsReceived;
    });
    return out;
  };
  window.softphone = phone;
  return phone;
}

// After the socket dropped (the server or Asterisk restarted): connect again and register again. The
// registerer may still think it is registered, so the answer itself says the phone is ready. The
// server refuses the socket (503) while the telephony is away: tried again, 1 s doubling to 10 s.
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 10_000;

async function reconnect(phone, onState, delay) {
  try {
    await phone.ua.reconnect();
    await phone.registerer.register({
      requestDelegate: {
        onAccept: () => onState('Phone ready', 'ok'),
        onReject: (response) => onState(`Phone not registered (${response.message.statusCode})`, 'error'),
      },
    });
  } catch (err) {
    onState(`Phone offline: ${err.message}`, 'error');
    const next = Math.min(delay * 2, RETRY_MAX_MS);
    setTimeout(() => reconnect(phone, onState, next), next);
  }
}

function attachAudio(session, audio) {
  const pc = session.sessionDescriptionHandler.peerConnection;
  const stream = new MediaStream();
  pc.getReceivers().forEach((r) => r.track && stream.addTrack(r.track));
  audio.srcObject = stream;
  // Autoplay may wait for a user gesture; the call runs anyway and the next click starts the sound.
  audio.play().catch(() => undefined);
}
