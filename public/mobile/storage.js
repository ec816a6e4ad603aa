// The chat id and token kept in localStorage, so a reload resumes the chat; `endedAt` (this device's
// clock) once the page saw it end, so an ended chat is kept only ENDED_KEPT_MS.
import { ENDED_KEPT_MS, serviceId, storageKey } from './state.js';

export function loadStored() {
  try {
    const value = JSON.parse(localStorage.getItem(storageKey) || 'null');
    if (value && typeof value.id === 'string' && typeof value.token === 'string' && value.service === serviceId) {
      const endedAt = typeof value.endedAt === 'number' ? value.endedAt : undefined;
      if (endedAt === undefined) return { id: value.id, token: value.token, service: value.service };
      if (Date.now() - endedAt <= ENDED_KEPT_MS) return { id: value.id, token: value.token, service: value.service, endedAt };
      forgetStored();
    }
  } catch {
    // storage unavailable or corrupt: behave as if nothing was stored
  }
  return null;
}

export function saveStored(stored) {
  try {
    localStorage.setItem(storageKey, JSON.stringify(stored));
  } catch {
    // private mode or quota: the chat still works, it just will not survive a reload
  }
}

// The stored chat has ended (first seen now): its time on the device starts.
export function storeEnded(id) {
  const stored = loadStored();
  if (stored && stored.id === id && stored.endedAt === undefined) saveStored({ ...stored, endedAt: Date.now() });
}

export function forgetStored() {
  try {
    localStorage.removeItem(storageKey);
  } catch {
    // nothing to forget
  }
}
