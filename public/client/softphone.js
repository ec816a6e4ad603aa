// The agent's browser softphone (sip.js), loaded only when the agent uses it. It registers the agent's
// endpoint through the web server's /sip proxy and answers the controller's calls automatically: the
// controller rings the agent first, then dials the customer.
import { Registerer, RegistererState, SessionState, UserAgent } from 'sip.js';

let current = null;

// One browser phone per browser. The agent's endpoint takes one registration and every start makes it
// a new password, so a second tab (another desktop, a supervisor's Monitor page) that started its own
// took the calls from the first one and left it unable to register again. The tab holding this lock
// runs the phone while it lives; the others say where it is, and the next takes over when it closes.
const ONE_PHONE = 'contact-center-softphone';
const ELSEWHERE = 'Calls ring your browser phone in another tab of this browser';

// Resolves with the phone, or null while another tab runs it.
export function startSoftphone({ onState }) {
  current ??= (navigator.locks ? inOneTab(onState) : register(onState)).catch((err) => {
    current = null;
    throw err;
  });
  return current;
}

function inOneTab(onState) {
  return new Promise((resolve, reject) => {
    const holdWhileThePageLives = (phone) => {
      resolve(phone);
      return new Promise(() => {});
    };
    navigator.locks
      .request(ONE_PHONE, { ifAvailable: true }, (lock) => {
        if (lock) return register(onState).then(holdWhileThePageLives, reject);
        onState(ELSEWHERE, 'elsewhere');
        resolve(null);
        navigator.locks
          .request(ONE_PHONE, () => register(onState).then(holdWhileThePageLives))
          .catch((err) => onState(`Phone failed: ${err.message}`, 'error'));
        return undefined;
      })
      .catch(reject);
  });
}

async function register(onState) {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? '';
  const res = await fetch('/desktop/softphone', { method: 'POST', headers: { Accept: 'application/json', 'X-CSRF-Token': csrf } });
  if (!res.ok) throw new Error(`softphone settings: ${res.status}`);
  return startPhone({ settings: await res.json(), autoAnswer: true, onState });
}

// A SIP phone in the page. `settings` = {path, username, password, domain, displayName, iceServers};
// with autoAnswer an incoming call is answered at once (the agent's phone: the controller calls it),
// otherwise onIncoming(call) gets {answer(), hangUp()} (a customer's phone in development).
// The server closing the socket cleanly (1000: the phone's owner, a chat, ended) stops the phone, and so
// does keepTrying() answering false after a refused reconnect; onClosed() hears of either.
// phone.stop() unregisters and stops it for good.
export async function startPhone({ settings: cfg, autoAnswer, onState, onIncoming, onEnded, onClosed, keepTrying = async () => true }) {
  const wsUrl = new URL(cfg.path, location.href);
  wsUrl.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';

  const audio = document.createElement('audio');
  audio.autoplay = true;
  audio.id = 'softphone-audio';
  document.body.appendChild(audio);

  const phone = { ua: null, registerer: null, session: null, audio, retryTimer: 0, stopping: null, keepTrying, onClosed };
  phone.stop = () => (phone.stopping ??= stopPhone(phone));
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
        if (phone.stopping) return;
        if (closedCleanly(error)) return void closeForGood(phone);
        onState(error ? 'Phone disconnected, retrying…' : 'Phone disconnected', 'error');
        if (error) retryLater(phone, onState, RETRY_MIN_MS);
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

function retryLater(phone, onState, delay) {
  clearTimeout(phone.retryTimer);
  phone.retryTimer = setTimeout(() => void reconnect(phone, onState, delay), delay);
}

async function reconnect(phone, onState, delay) {
  if (phone.stopping) return;
  try {
    await phone.ua.reconnect();
    await phone.registerer.register({
      requestDelegate: {
        onAccept: () => onState('Phone ready', 'ok'),
        onReject: (response) => onState(`Phone not registered (${response.message.statusCode})`, 'error'),
      },
    });
  } catch (err) {
    if (phone.stopping) return;
    // Refused: the browser does not tell why, so the owner says whether the phone is still wanted.
    if (!(await phone.keepTrying())) return void closeForGood(phone);
    onState(`Phone offline: ${err.message}`, 'error');
    retryLater(phone, onState, Math.min(delay * 2, RETRY_MAX_MS));
  }
}

// sip.js reports every close it did not ask for as an error, "WebSocket closed <url> (code: N)"; 1000 is
// the server saying the phone is done, not a dropped connection to recover from.
function closedCleanly(error) {
  return Boolean(error) && /\(code: 1000\)/.test(error.message);
}

function closeForGood(phone) {
  void phone.stop();
  if (phone.onClosed) phone.onClosed();
}

async function stopPhone(phone) {
  clearTimeout(phone.retryTimer);
  phone.audio.remove();
  if (window.softphone === phone) window.softphone = undefined;
  try {
    await phone.ua.stop(); // unregisters first when it can, and hangs up a call in progress
  } catch (err) {
    console.warn('stopping the phone failed:', err.message);
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
