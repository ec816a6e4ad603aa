// Settings and the shared state of the customer page: the one chat it shows and what the customer typed.
export const API = '/api/v1';
export const E164 = /^\+[1-9][0-9]{6,14}$/;
export const MAX_TEXT = 8000;
export const MAX_PHOTO_BYTES = 10 * 1024 * 1024;
export const SEND_RETRIES = 4; // retries after the first attempt, same client_id each time
export const SEND_BACKOFF_MS = 1000;
// Messages kept on the device until the server acknowledges them (each within MAX_TEXT).
export const MAX_UNSENT = 50;
// Photos kept on the device until acknowledged (each within MAX_PHOTO_BYTES).
export const MAX_UNSENT_PHOTOS = 5;
export const RECONNECT_MIN_MS = 1000;
export const RECONNECT_MAX_MS = 10000;
// An ended chat not yet rated stays on the device this long after the page saw it end, so a reload (or
// a glance at another app) still offers Rate; then it is forgotten, so whoever is handed a shared phone
// next does not find the transcript, the photos or the name. A rated chat is forgotten at once.
export const ENDED_KEPT_MS = 15 * 60 * 1000;

export const serviceId = document.body.dataset.service || '';
export const storageKey = `chat:${serviceId}`;

// `state.session` is the one chat this page shows. Every async continuation checks
// `state.session === s` before touching the page, so answers that arrive after the customer moved on
// are dropped.
export const state = {
  session: null,
  lastCustomer: { name: '', phone: '' },
};

// Controls with an action in flight.
export const busy = new Set();

// Marks a timeline entry as shown, so a replay after a reconnect skips it. `fromFeed`: it came from the
// history or the socket, which deliver in order, so the feed resumes after it. A send's own answer does
// not move that point: an entry before it may not have arrived yet (the socket was down).
export function noteSeq(s, seq, fromFeed = true) {
  if (!Number.isFinite(seq)) return;
  s.seen.add(seq);
  if (fromFeed && seq > s.lastSeq) s.lastSeq = seq;
}
