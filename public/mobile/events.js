// The chat's live feed over the events WebSocket: reconnects with backoff, replays after the last seq.
import { chatPath, enc } from './api.js';
import { addMessage } from './messages.js';
import { markEnded, refreshChat, updateChat } from './session.js';
import { API, RECONNECT_MAX_MS, RECONNECT_MIN_MS, state } from './state.js';
import { scheduleVideo } from './video.js';
import { setConn, showAgent, ui } from './ui.js';

export function connect(s) {
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
    if (s.ws === ws) setConn('Connected');
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
    handleFrame(s, frame);
  });
  ws.addEventListener('close', () => {
    if (state.session !== s || s.ws !== ws) return;
    s.ws = null;
    if (s.ended) return;
    setConn('Reconnecting…');
    // Refused before any frame: maybe the chat ended or the token no longer works.
    if (!gotFrame) void refreshChat(s);
    scheduleReconnect(s);
  });
  // 'error' is always followed by 'close', which does the work.
}

export function scheduleReconnect(s) {
  clearTimeout(s.reconnectTimer);
  const delay = s.reconnectDelay;
  s.reconnectDelay = Math.min(delay * 2, RECONNECT_MAX_MS);
  s.reconnectTimer = setTimeout(() => connect(s), delay);
}

export function reconnectNow() {
  const s = state.session;
  if (!s || s.ended) return;
  if (s.ws && s.ws.readyState <= WebSocket.OPEN) return;
  if (s.ws) s.ws = null;
  s.reconnectDelay = RECONNECT_MIN_MS;
  connect(s);
}

window.addEventListener('online', reconnectNow);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') reconnectNow();
});

export function handleFrame(s, frame) {
  if (!frame || typeof frame !== 'object') return;
  if (frame.type === 'chat') {
    updateChat(s, frame.chat);
  } else if (frame.type === 'timeline') {
    handleTimeline(s, frame);
  }
}

export function noteSeq(s, seq) {
  if (!Number.isFinite(seq)) return;
  s.seen.add(seq);
  if (seq > s.lastSeq) s.lastSeq = seq;
}

export function handleTimeline(s, frame) {
  const seq = Number(frame.seq);
  if ((frame.kind === 'message' || frame.kind === 'attachment') && frame.message) {
    addMessage(s, frame.message);
    noteSeq(s, seq);
    return;
  }
  if (s.seen.has(seq)) return;
  noteSeq(s, seq);
  if (frame.kind === 'accepted') showAgent(s, frame.agent && frame.agent.name);
  else if (frame.kind === 'ended') markEnded(s);
  else if (frame.kind === 'video') scheduleVideo(s, frame.video);
}
