// The chat id and token kept in localStorage, so a reload resumes the chat; `endedAt` (this device's
// clock) once the page saw it end, so an ended chat is kept only ENDED_KEPT_MS; `unsent`, the messages
// typed but not yet acknowledged ({client_id, text}), so a reload sends them again instead of losing them
// (photos: photo-store.js).
import { forgetPhotos } from './photo-store.js';
import { ENDED_KEPT_MS, MAX_TEXT, MAX_UNSENT, serviceId, storageKey } from './state.js';

function readRecord() {
  try {
    const value = JSON.parse(localStorage.getItem(storageKey) || 'null');
    if (value && typeof value.id === 'string' && typeof value.token === 'string' && value.service === serviceId) return value;
  } catch {
    // storage unavailable or corrupt: behave as if nothing was stored
  }
  return null;
}

// The id of the chat this device keeps, if any (ended or not).
export const storedChatId = () => readRecord()?.id;

export function loadStored() {
  const value = readRecord();
  if (!value) return null;
  const endedAt = typeof value.endedAt === 'number' ? value.endedAt : undefined;
  if (endedAt === undefined) return { id: value.id, token: value.token, service: value.service };
  if (Date.now() - endedAt <= ENDED_KEPT_MS) return { id: value.id, token: value.token, service: value.service, endedAt };
  forgetStored(value.id);
  return null;
}

const isUnsent = (m) =>
  m && typeof m.client_id === 'string' && m.client_id.length > 0 && m.client_id.length <= 100 && typeof m.text === 'string' && m.text.length > 0 && m.text.length <= MAX_TEXT;

// The chat's unacknowledged messages, oldest first (what another tab or a bad edit left is checked).
// An ended chat's are kept with it: the page shows them as not sent.
export function loadUnsent(id) {
  const value = readRecord();
  if (!value || value.id !== id || !Array.isArray(value.unsent)) return [];
  return value.unsent.filter(isUnsent).slice(0, MAX_UNSENT);
}

function saveUnsent(id, unsent) {
  const value = readRecord();
  if (!value || value.id !== id) return;
  const next = { ...value, unsent };
  if (!unsent.length) delete next.unsent;
  saveStored(next);
}

// Kept until acknowledged; past MAX_UNSENT waiting, a new one is not kept (it is still sent and shown).
export function keepUnsent(id, clientId, text) {
  const unsent = loadUnsent(id);
  if (unsent.length >= MAX_UNSENT || unsent.some((m) => m.client_id === clientId)) return;
  saveUnsent(id, [...unsent, { client_id: clientId, text }]);
}

export function dropUnsent(id, clientId) {
  const unsent = loadUnsent(id);
  if (unsent.some((m) => m.client_id === clientId)) saveUnsent(id, unsent.filter((m) => m.client_id !== clientId));
}

export function saveStored(stored) {
  try {
    localStorage.setItem(storageKey, JSON.stringify(stored));
  } catch {
    // private mode or quota: the chat still works, it just will not survive a reload
  }
}

// The stored chat has ended (first seen now): its time on the device starts.
// (The whole record: its unsent messages stay with it.)
export function storeEnded(id) {
  const stored = readRecord();
  if (stored && stored.id === id && stored.endedAt === undefined) saveStored({ ...stored, endedAt: Date.now() });
}

// Forgets chat `id` (its photos, and the record if it is still this device's chat: another tab may
// have started a new one since).
export function forgetStored(id) {
  if (id === undefined) return;
  void forgetPhotos(id);
  if (readRecord()?.id !== id) return;
  try {
    localStorage.removeItem(storageKey);
  } catch {
    // nothing to forget
  }
}
