// The page's elements and the small helpers that change them (notices, busy controls, views).
import { busy, state } from './state.js';

const byId = (id) => document.getElementById(id);
export const ui = {
  conn: byId('conn'),
  notice: byId('notice'),
  start: byId('start'),
  startForm: byId('start-form'),
  name: byId('name'),
  phone: byId('phone'),
  phoneHint: byId('phone-hint'),
  startButton: byId('start-button'),
  chat: byId('chat'),
  chatState: byId('chat-state'),
  log: byId('log'),
  location: byId('location'),
  ended: byId('ended'),
  newChat: byId('new-chat'),
  ratingForm: byId('rating-form'),
  ratingScore: byId('rating-score'),
  ratingComment: byId('rating-comment'),
  ratingStatus: byId('rating-status'),
  sendForm: byId('send-form'),
  message: byId('message'),
  send: byId('send'),
  photo: byId('photo'),
  shareLocation: byId('share-location'),
  videoRequest: byId('video-request'),
  videoClose: byId('video-close'),
  endChat: byId('end-chat'),
  video: byId('video'),
  localVideo: byId('local-video'),
  remoteVideo: byId('remote-video'),
  videoStatus: byId('video-status'),
};
export const chatControls = [ui.message, ui.send, ui.photo, ui.shareLocation, ui.videoRequest, ui.videoClose, ui.endChat];

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function notify(text, isError = false) {
  ui.notice.textContent = text || '';
  ui.notice.classList.toggle('notice-error', Boolean(text) && isError);
}

export function setConn(text) {
  ui.conn.textContent = text || '';
  ui.conn.hidden = !text;
  ui.conn.classList.toggle('conn-ok', text === 'Connected');
}

export function setBusy(control, on) {
  if (on) busy.add(control);
  else busy.delete(control);
  refreshControls();
}

export function refreshControls() {
  const usable = Boolean(state.session) && !state.session.ended;
  for (const control of chatControls) control.disabled = !usable || busy.has(control);
  ui.startButton.disabled = busy.has(ui.startButton);
}

export function newClientId() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  // crypto.randomUUID needs a secure context; plain-http testing on a LAN still gets a v4 UUID.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function formatTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function nearBottom() {
  const doc = document.documentElement;
  return window.innerHeight + window.scrollY >= doc.scrollHeight - 120;
}

export function scrollToBottom() {
  window.scrollTo({ top: document.documentElement.scrollHeight });
}

export function showStart(message, isError = false) {
  ui.chat.hidden = true;
  ui.start.hidden = false;
  setConn('');
  if (!ui.name.value) ui.name.value = state.lastCustomer.name;
  if (!ui.phone.value) ui.phone.value = state.lastCustomer.phone;
  notify(message || '', isError);
  refreshControls();
}

export function showChat() {
  ui.start.hidden = true;
  ui.chat.hidden = false;
  ui.ended.hidden = true;
  refreshControls();
}

// After the end: the Rate form while the chat is not rated (it is rated once), else a thank-you.
export function showRating(rated, thanks = 'This chat has been rated. Thank you.') {
  if (!rated) ui.ratingForm.reset();
  ui.ratingForm.hidden = rated;
  ui.ratingStatus.textContent = rated ? thanks : '';
}

export function setChatState(text) {
  if (ui.chatState.textContent !== text) ui.chatState.textContent = text;
}

export function showAgent(s, name) {
  if (name) s.agentName = name;
  setChatState(`${s.agentName || 'An agent'} joined`);
}
