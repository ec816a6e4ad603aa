// The chat's life on this page: open or resume it, load its history, follow its feed, end it, or lose
// it. It sits above the feed (events.js) and the views (messages.js, video.js, phone.js) and tells each
// what the server said; they report back only through the callbacks they are given.
import { api, chatPath, isGone } from './api.js';
import { closeReplaced, connect } from './events.js';
import { startSimulatedPhone, stopSimulatedPhone, telephonyChanged } from './phone.js';
import { addMessage, resendFailed, restoreUnsent, showNotSent } from './messages.js';
import { ENDED_KEPT_MS, RECONNECT_MIN_MS, noteSeq, state } from './state.js';
import { forgetStored, loadStored, storedChatId, storeEnded } from './storage.js';
import { scheduleVideo, stopVideo } from './video.js';
import { notify, refreshControls, scrollToBottom, setChatState, setConn, showAgent, showChat, showRating, showStart, ui } from './ui.js';

export function newSession(stored) {
  let restored;
  return {
    // Settles once what the device kept unsent (over a reload) is queued, after the history: a message
    // typed before then goes after those (restoreUnsent).
    restoredUnsent: new Promise((resolve) => (restored = resolve)),
    markRestored: () => restored(),
    id: stored.id,
    token: stored.token,
    lastSeq: 0,
    seen: new Set(),
    pending: new Map(), // client_id -> {item, text}: sent, not yet acknowledged
    stored: new Set(), // client_ids of the customer's messages the chat holds (seen in its history)
    agentName: '',
    ended: false,
    ws: null,
    feed: null, // the socket's delegate, set by connect()
    reconnectDelay: RECONNECT_MIN_MS,
    reconnectTimer: 0,
    blobUrls: [],
  };
}

export function closeSocket(s) {
  clearTimeout(s.reconnectTimer);
  const ws = s.ws;
  s.ws = null;
  if (ws) ws.close(1000);
  closeReplaced(s);
}

export function teardown(s) {
  if (!s) return;
  clearTimeout(s.forgetTimer);
  closeSocket(s);
  stopVideo(s);
  stopSimulatedPhone(s);
  for (const url of s.blobUrls) URL.revokeObjectURL(url);
  s.blobUrls = [];
  if (state.session === s) state.session = null;
}

// The chat is gone (bad token, unknown chat): forget it and offer a new one.
export function lose(s, message) {
  if (state.session !== s) return;
  leaveChat(s, message || 'This chat is no longer available. You can start a new one.', true);
}

// Back to the start form: the chat forgotten on this device, its socket and media closed, its log cleared.
export function leaveChat(s, message = '', isError = false) {
  forgetStored(s?.id);
  teardown(s);
  ui.log.replaceChildren();
  ui.location.textContent = '';
  setChatState('');
  showStart(message, isError);
}

// Unrated, the chat stays stored for a while (state.js ENDED_KEPT_MS): a reload shows it ended, with
// Rate. Rated (here or by rating.js), or Start a new chat, forgets it: the page shows it until it is left.
export function markEnded(s, rated = false) {
  if (state.session !== s || s.ended) return;
  s.ended = true;
  if (rated) forgetStored(s.id);
  else {
    storeEnded(s.id);
    s.keptUntil = (loadStored()?.endedAt ?? Date.now()) + ENDED_KEPT_MS;
    s.forgetTimer = setTimeout(() => forgetIfDue(s), s.keptUntil - Date.now());
  }
  closeSocket(s);
  stopVideo(s);
  stopSimulatedPhone(s);
  setConn('');
  setChatState('Chat ended');
  showRating(rated);
  ui.ended.hidden = false;
  refreshControls();
  // The socket closed with the end may have been about to replay what came before it (a page back
  // from the background learns of the end first): the rest of the conversation is read once.
  void loadHistory(s);
}

// An unrated ended chat is kept ENDED_KEPT_MS from when the page saw it end, then forgotten while the
// page stays open too: on a shared phone, whoever is handed it next finds an empty start form. Checked
// by a timer, and when the page comes back to the front (a sleeping phone stops timers). Rating it
// forgets it at once (the page then thanks the customer until it is left).
export function forgetIfDue(s = state.session) {
  // Rated meanwhile: no longer stored, and the page thanks the customer until it is left.
  if (!s || state.session !== s || !s.ended || s.keptUntil === undefined || Date.now() < s.keptUntil || storedChatId() !== s.id) return;
  state.lastCustomer = { name: '', phone: '' };
  ui.name.value = '';
  ui.phone.value = '';
  leaveChat(s);
}

// `fromFrame`: the socket's chat frame, sent first and at every change; a REST answer may be older.
export function updateChat(s, chat, fromFrame = false) {
  if (state.session !== s || !chat || typeof chat !== 'object') return;
  if (chat.customer) state.lastCustomer = { name: chat.customer.name || '', phone: chat.customer.phone || '' };
  if (chat.agent && chat.agent.name) s.agentName = chat.agent.name;
  if (chat.video) scheduleVideo(s, chat.video);
  if (chat.state === 'ended') return markEnded(s, chat.rated === true);
  // An answer read before the end (a refresh still on its way) does not bring the chat back.
  if (s.ended) return;
  if (fromFrame) s.chatState = chat.state;
  if (chat.state === 'active') showAgent(s);
  else setChatState('Waiting for an agent…');
}

// Ask the server where the chat stands, after a refusal or a failed connection.
export async function refreshChat(s) {
  try {
    const chat = await api('GET', chatPath(s), { token: s.token });
    updateChat(s, chat);
  } catch (err) {
    if (state.session !== s) return;
    if (err.status === 409) markEnded(s);
    else if (isGone(err)) lose(s);
  }
}

// Errors of customer actions: show the server's message; if the chat itself may be the cause,
// check its state (a 409 on an ended chat ends the page, a lost chat goes back to the start form).
export function actionFailed(s, err) {
  if (state.session !== s) return;
  notify(err.message, true);
  if (err.status === 409 || isGone(err)) void refreshChat(s);
}

export async function openChat(stored, resume) {
  teardown(state.session);
  const s = newSession(stored);
  state.session = s;
  ui.log.replaceChildren();
  ui.location.textContent = '';
  if (resume) {
    ui.start.hidden = true;
    notify('Resuming your chat…');
    try {
      const chat = await api('GET', chatPath(s), { token: s.token });
      if (state.session !== s) return;
      if (chat && chat.customer) state.lastCustomer = { name: chat.customer.name || '', phone: chat.customer.phone || '' };
      if (!chat) {
        lose(s, 'Your previous chat has ended. You can start a new one.');
        return;
      }
      notify('');
      showChat();
      updateChat(s, chat);
    } catch (err) {
      if (state.session !== s) return;
      if (isGone(err) || err.status === 409) {
        lose(s, 'Your previous chat is no longer available. You can start a new one.');
        return;
      }
      // Network trouble or a server hiccup: show the chat and let the connection retry.
      showChat();
      setChatState('Waiting for an agent…');
      notify(err.message, true);
    }
  } else {
    showChat();
    setChatState('Waiting for an agent…');
    ui.message.focus();
  }
  if (!s.ended) await loadHistory(s); // an ended chat's was read as it was marked ended
  if (state.session !== s) return;
  if (s.ended) return void showNotSent(s);
  void restoreUnsent(s, actionFailed).finally(() => s.markRestored());
  connect(s, { frame: (frame) => handleFrame(s, frame), refused: () => void refreshChat(s), opened: () => void resendFailed(s, actionFailed) });
  startSimulatedPhone(s).catch((err) => console.warn('simulated phone failed:', err.message));
}

export async function loadHistory(s) {
  try {
    const data = await api('GET', `${chatPath(s, '/messages')}?after=${s.lastSeq}`, { token: s.token });
    if (state.session !== s) return;
    const messages = data && Array.isArray(data.messages) ? data.messages : [];
    messages.sort((a, b) => a.seq - b.seq);
    for (const msg of messages) addMessage(s, msg);
    scrollToBottom();
  } catch (err) {
    if (state.session !== s) return;
    if (isGone(err)) lose(s);
    else if (err.status === 409) markEnded(s);
    // otherwise the event stream replays from lastSeq once it connects
  }
}

function handleFrame(s, frame) {
  if (frame.type === 'chat') updateChat(s, frame.chat, true);
  else if (frame.type === 'timeline') handleTimeline(s, frame);
  else if (frame.type === 'telephony') telephonyChanged(frame);
}

function handleTimeline(s, frame) {
  const seq = Number(frame.seq);
  if ((frame.kind === 'message' || frame.kind === 'attachment') && frame.message) {
    addMessage(s, frame.message);
    noteSeq(s, seq);
    return;
  }
  if (s.seen.has(seq)) return;
  noteSeq(s, seq);
  // The chat frame (sent first, and at every change) says where the chat stands: an 'accepted' read
  // back from before it went back to the queue, or ended, says nobody joined now.
  const waiting = s.ended || s.chatState === 'queued' || s.chatState === 'offered';
  if (frame.kind === 'accepted' && !waiting) showAgent(s, frame.agent && frame.agent.name);
  else if (frame.kind === 'ended') markEnded(s);
  else if (frame.kind === 'video') scheduleVideo(s, frame.video);
}
