// The chat's live feed over the events WebSocket: reconnects with backoff, replays after the last seq.
// It only keeps the socket up; what a frame means is the delegate's to say (session.js), so this module
// knows nothing of the views.
import { chatPath, enc } from './api.js';
import { API, RECONNECT_MAX_MS, RECONNECT_MIN_MS, state } from './state.js';
import { setConn, ui } from './ui.js';

// `delegate`: {frame(frame), refused(), opened()}, kept on the session for the reconnects; opened() also
// hears of the network coming back while the socket stayed up.
export function connect(s, delegate = s.feed) {
  s.feed = delegate;
  if (state.session !== s || s.ended) return;
  clearTimeout(s.reconnectTimer);
  if (s.ws) return;
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const url = `${proto}//${location.host}${API}${chatPath(s, '/events')}?token=${enc(s.token)}&after=${s.lastSeq}`;
  let ws;
  try {
    ws = new WebSocket(url);
  } catch {
    setConn('Reconnecting…');
    scheduleReconnect(s);
    return;
  }
  s.ws = ws;
  let gotFrame = false;
  if (ui.conn.hidden) setConn('Connecting…');

  ws.addEventListener('open', () => {
    if (s.ws !== ws) return;
    closeReplaced(s);
    setConn('Connected');
    s.feed.opened();
  });
  ws.addEventListener('message', (event) => {
    if (state.session !== s || s.ws !== ws) return;
    if (!gotFrame) {
      gotFrame = true;
      s.reconnectDelay = RECONNECT_MIN_MS; // the server accepted us: next outage starts at 1s again
      setConn('Connected');
    }
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    if (frame && typeof frame === 'object') s.feed.frame(frame);
  });
  ws.addEventListener('close', () => {
    if (state.session !== s || s.ws !== ws) return;
    s.ws = null;
    closeReplaced(s);
    if (s.ended) return;
    setConn('Reconnecting…');
    // Refused before any frame: maybe the chat ended or the token no longer works.
    if (!gotFrame) s.feed.refused();
    scheduleReconnect(s);
  });
  // 'error' is always followed by 'close', which does the work.
}

function scheduleReconnect(s) {
  clearTimeout(s.reconnectTimer);
  const delay = s.reconnectDelay;
  s.reconnectDelay = Math.min(delay * 2, RECONNECT_MAX_MS);
  s.reconnectTimer = setTimeout(() => connect(s), delay);
}

// A socket the page was away from this long is not trusted: the server may have cut it meanwhile (it
// pings every 30 s) without the phone hearing of it, and it would stay "Connected" with nothing coming.
const TRUSTED_AWAY_MS = 25_000;
let hiddenSince = 0;

// `fresh`: replace a socket that looks open too (the replay after lastSeq fills what it missed).
function reconnectNow(fresh = false) {
  const s = state.session;
  if (!s || s.ended || !s.feed) return;
  if (s.ws && !fresh) {
    if (s.ws.readyState === WebSocket.OPEN) return void s.feed.opened();
    if (s.ws.readyState === WebSocket.CONNECTING) return;
  }
  // The socket it replaces closes once the new one is open: the server never sees this page with none
  // (with none, it would take the customer's video down).
  if (s.ws) {
    closeReplaced(s);
    s.replaced = s.ws;
  }
  s.ws = null;
  s.reconnectDelay = RECONNECT_MIN_MS;
  connect(s);
}

export function closeReplaced(s) {
  if (s.replaced) s.replaced.close(1000);
  s.replaced = null;
}

// A network coming back (maybe another one: the old connection is gone with it) or the page coming to
// the front is worth a try at once, not after the backoff.
export function reconnectOnWake() {
  window.addEventListener('online', () => reconnectNow(true));
  document.addEventListener('visibilitychange', () => {
    // The wall clock: a phone asleep stops performance.now() with it, and a locked phone is the case.
    if (document.visibilityState === 'hidden') hiddenSince = Date.now();
    else reconnectNow(hiddenSince > 0 && Date.now() - hiddenSince > TRUSTED_AWAY_MS);
  });
}
