// The conversation log: bubbles in seq order, photos loaded with the token, sending with retries.
import { api, chatPath, isTransient } from './api.js';
import { SEND_BACKOFF_MS, SEND_RETRIES, noteSeq, state } from './state.js';
import { dropPhoto, keepPhoto, loadPhotos } from './photo-store.js';
import { dropUnsent, keepUnsent, loadUnsent, storedChatId } from './storage.js';
import { el, formatTime, nearBottom, newClientId, scrollToBottom, sleep, ui } from './ui.js';

export function authorLabel(s, msg) {
  return msg.author === 'customer' ? 'You' : s.agentName || 'Agent';
}

export function buildBubble(author) {
  const item = el('div', `msg ${author === 'customer' ? 'msg-customer' : 'msg-agent'}`);
  const meta = el('p', 'msg-meta');
  const who = el('span', 'msg-author');
  const status = el('span', 'msg-status');
  meta.append(who, status);
  item.append(meta);
  return item;
}

export function fillBubble(s, item, msg) {
  item.querySelector('.msg-author').textContent = authorLabel(s, msg);
  const status = item.querySelector('.msg-status');
  status.replaceChildren();
  const time = el('time', '', formatTime(msg.created_at));
  if (msg.created_at) time.dateTime = msg.created_at;
  status.append(time);
  item.classList.remove('msg-pending', 'msg-failed');
  item.dataset.seq = String(msg.seq);
  if (typeof msg.text === 'string' && msg.text && !item.querySelector('.msg-text')) {
    item.append(el('p', 'msg-text', msg.text));
  }
  if (msg.attachment && !item.querySelector('.msg-photo')) item.append(attachmentView(s, msg.attachment));
}

// Keep the log in seq order; unacknowledged messages stay at the end.
export function placeBySeq(item, seq) {
  item.remove();
  let before = null;
  for (let node = ui.log.lastElementChild; node; node = node.previousElementSibling) {
    if (node.dataset.seq === undefined) {
      before = node;
      continue;
    }
    if (Number(node.dataset.seq) > seq) before = node;
    else break;
  }
  ui.log.insertBefore(item, before);
}

// `fromFeed`: from the history or the socket (in order), not from a send's answer (see noteSeq).
export function addMessage(s, msg, fromFeed = true) {
  if (state.session !== s || !msg || typeof msg !== 'object' || !Number.isFinite(msg.seq)) return;
  const pendingItem = msg.client_id ? s.pending.get(msg.client_id)?.item : undefined;
  if (msg.client_id && msg.author === 'customer') {
    s.stored.add(msg.client_id);
    s.pending.delete(msg.client_id);
    dropUnsent(s.id, msg.client_id);
    if (msg.attachment) void dropPhoto(msg.client_id);
  }
  if (s.seen.has(msg.seq)) {
    if (pendingItem) pendingItem.remove();
    noteSeq(s, msg.seq, fromFeed);
    return;
  }
  const follow = nearBottom() || msg.author === 'customer';
  noteSeq(s, msg.seq, fromFeed);
  const item = pendingItem || buildBubble(msg.author);
  fillBubble(s, item, msg);
  placeBySeq(item, msg.seq);
  if (follow) scrollToBottom();
}

export function attachmentView(s, att) {
  const box = el('a', 'msg-photo');
  const label = att.file_name || 'image';
  const status = el('span', 'msg-photo-status', `Loading ${label}…`);
  box.append(status);
  if (!att.url) {
    status.textContent = `${label} (not available)`;
    return box;
  }
  void loadAttachment(s, att, box, status, label);
  return box;
}

export async function loadAttachment(s, att, box, status, label) {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      // The chat token goes only to this origin.
      const sameOrigin = new URL(att.url, location.href).origin === location.origin;
      const headers = sameOrigin ? { Authorization: `Bearer ${s.token}` } : {};
      const res = await fetch(att.url, { headers, cache: 'no-store' });
      if (!res.ok) throw new Error(`status ${res.status}`);
      const blob = await res.blob();
      if (state.session !== s) return;
      const url = URL.createObjectURL(blob);
      s.blobUrls.push(url);
      box.href = url;
      box.target = '_blank';
      box.rel = 'noopener';
      const type = att.content_type || blob.type || '';
      if (type.startsWith('image/')) {
        const img = el('img', 'msg-thumb');
        img.alt = label;
        img.decoding = 'async';
        img.src = url;
        status.replaceWith(img);
      } else {
        box.download = label;
        status.textContent = `Download ${label}`;
      }
      return;
    } catch {
      if (state.session !== s) return;
      await sleep(1000 * (attempt + 1));
    }
  }
  if (state.session === s) status.textContent = `${label} could not be loaded.`;
}

// A customer message not yet acknowledged: shown at the end of the log until the server gives it a seq.
export function addPending(className) {
  const item = buildBubble('customer');
  item.classList.add('msg-pending');
  if (className) item.classList.add(className);
  item.querySelector('.msg-author').textContent = 'You';
  item.querySelector('.msg-status').textContent = 'Sending…';
  ui.log.append(item);
  scrollToBottom();
  return item;
}

export function markFailed(s, clientId, item, onFailed) {
  item.classList.remove('msg-pending');
  item.classList.add('msg-failed');
  const status = item.querySelector('.msg-status');
  status.textContent = 'Not sent ';
  const retry = el('button', 'link-button', 'Retry');
  retry.type = 'button';
  retry.addEventListener('click', () => {
    if (state.session !== s || s.ended) return;
    void inTurn(s, clientId, onFailed);
  });
  status.append(retry);
}

// A customer message: kept on the device until acknowledged (a reload sends it again), shown, sent.
export function sendText(s, text, onFailed) {
  const clientId = newClientId();
  keepUnsent(s.id, clientId, text);
  showUnsent(s, clientId, text);
  void afterEarlier(s, 'texts', onFailed).then(() => inTurn(s, clientId, onFailed));
}

// A new message goes after the earlier ones this device still holds: those kept over a reload (queued
// once the history is in), and those given up on for a network problem (sent again now, before it,
// rather than after it once the socket is back). The server numbers them as they arrive.
async function afterEarlier(s, line, onFailed) {
  await s.restoredUnsent;
  for (const clientId of givenUp(s, line)) void inTurn(s, clientId, onFailed);
}

// The messages given up on for a network problem (one the server refused waits for the customer's
// Retry), of one line or both.
function givenUp(s, line) {
  return [...s.pending].filter(([, e]) => e.item.classList.contains('msg-failed') && !e.refused && (!line || (e.photo ? 'photos' : 'texts') === line)).map(([clientId]) => clientId);
}

// Texts leave one at a time, in the order they were written, and so do photos: one that waits to be
// retried is not overtaken by the next (the server numbers them as they arrive, and both sides would
// see them swapped). Texts do not wait behind a big photo on a slow uplink.
function inTurn(s, clientId, onFailed) {
  const line = s.pending.get(clientId)?.photo ? 'photos' : 'texts';
  s.sending ??= {};
  s.sending[line] = (s.sending[line] || Promise.resolve()).then(() => deliver(s, clientId, onFailed)).catch((err) => console.error('sending a message failed', err));
  return s.sending[line];
}

function showUnsent(s, clientId, text) {
  const item = addPending();
  item.append(el('p', 'msg-text', text));
  s.pending.set(clientId, { item, text });
}

// A photo: kept on the device until acknowledged (a reload sends it again), shown from the file, sent.
export async function sendPhotoFile(s, file, onFailed) {
  const clientId = newClientId();
  showPhoto(s, clientId, file);
  await keepPhoto(s.id, clientId, file, () => storedChatId() === s.id);
  await afterEarlier(s, 'photos', onFailed);
  await inTurn(s, clientId, onFailed);
}

function showPhoto(s, clientId, file) {
  const item = addPending('msg-upload');
  const preview = URL.createObjectURL(file);
  s.blobUrls.push(preview);
  const img = el('img', 'msg-thumb');
  img.alt = file.name || 'image';
  img.src = preview;
  const box = el('span', 'msg-photo');
  box.append(img);
  item.append(box);
  scrollToBottom();
  s.pending.set(clientId, { item, photo: file });
}

// The chat opened (its history loaded): what this device still holds unsent is shown and sent again,
// with its first client_id, so what the server did store comes back as that one: the texts in order,
// then the photos in order (they are kept apart).
export async function restoreUnsent(s, onFailed) {
  if (state.session !== s) return;
  const texts = loadUnsent(s.id).filter((m) => !s.pending.has(m.client_id));
  for (const { client_id: clientId, text } of texts) showUnsent(s, clientId, text);
  const photos = (await loadPhotos(s.id)).filter((p) => !s.pending.has(p.client_id));
  if (state.session !== s) return;
  for (const { client_id: clientId, file } of photos) showPhoto(s, clientId, file);
  const sent = sendEach(s, [...texts, ...photos].map((m) => m.client_id), onFailed);
  s.markRestored(); // queued: what is typed from now on goes after them
  await sent;
}

// A chat that ended while messages were still unsent on this device (typed offline, say): after a
// reload they are shown as they were before it, not sent, since they can no longer be. One the chat
// holds after all (its answer was lost) becomes its message as the history comes in (addMessage).
export async function showNotSent(s) {
  if (state.session !== s) return;
  const texts = loadUnsent(s.id).filter((m) => !s.pending.has(m.client_id));
  for (const { client_id: clientId, text } of texts) showUnsent(s, clientId, text);
  // The history may have come in while the photos were read: one it holds is not shown as not sent.
  const photos = (await loadPhotos(s.id)).filter((p) => !s.pending.has(p.client_id) && !s.stored.has(p.client_id));
  if (state.session !== s) return;
  for (const { client_id: clientId, file } of photos) showPhoto(s, clientId, file);
  for (const { client_id: clientId } of [...texts, ...photos]) {
    const item = s.pending.get(clientId)?.item;
    if (!item) continue; // the history had it meanwhile
    item.classList.replace('msg-pending', 'msg-failed');
    item.querySelector('.msg-status').textContent = 'Not sent: the chat has ended';
  }
}

// The socket is back: the messages given up on for a network problem are sent again, in order. One
// the server refused (a file type it does not take, a full chat) waits for the customer's Retry.
export async function resendFailed(s, onFailed) {
  await sendEach(s, givenUp(s), onFailed);
}

// Queued at once, in order (each line keeps it): a message typed meanwhile goes after them.
async function sendEach(s, clientIds, onFailed) {
  if (state.session !== s || s.ended) return;
  await Promise.all(clientIds.map((clientId) => inTurn(s, clientId, onFailed)));
}

// Send one message; on network trouble retry with the same client_id (the server dedupes on it).
// `onFailed(s, err)` hears of a message given up on: the chat itself may be the cause. A refusal that
// is not transient (the text itself) is not kept for the next reload.
export async function deliver(s, clientId, onFailed) {
  const entry = s.pending.get(clientId);
  if (!entry) return;
  const { item, text, photo } = entry;
  item.classList.remove('msg-failed');
  entry.refused = false;
  item.classList.add('msg-pending');
  item.querySelector('.msg-status').textContent = 'Sending…';
  let delay = SEND_BACKOFF_MS;
  for (let attempt = 0; ; attempt += 1) {
    if (state.session !== s || !s.pending.has(clientId)) return; // acknowledged meanwhile over the socket
    try {
      const msg = photo ? await postPhoto(s, clientId, photo) : await api('POST', chatPath(s, '/messages'), { body: { text, client_id: clientId }, token: s.token });
      addMessage(s, msg, false);
      return;
    } catch (err) {
      if (state.session !== s) return;
      if (!s.pending.has(clientId)) return;
      if (isTransient(err) && attempt < SEND_RETRIES) {
        item.querySelector('.msg-status').textContent = 'Sending… (retrying)';
        await sleep(delay);
        delay = Math.min(delay * 2, 8000);
        continue;
      }
      if (!isTransient(err)) {
        entry.refused = true;
        dropUnsent(s.id, clientId);
        void dropPhoto(clientId);
      }
      markFailed(s, clientId, item, onFailed);
      onFailed(s, err);
      return;
    }
  }
}

function postPhoto(s, clientId, photo) {
  const form = new FormData();
  form.append('client_id', clientId);
  form.append('file', photo, photo.name || 'photo.jpg');
  // Two minutes, and the time the photo takes at 256 kbit/s: a big photo on a slow uplink gets there.
  return api('POST', chatPath(s, '/attachments'), { form, token: s.token, timeoutMs: 120_000 + photo.size / 32 });
}
