// The chat id and token kept in localStorage, so a reload resumes the chat.
import { serviceId, storageKey } from './state.js';

export function loadStored() {
  try {
    const value = JSON.parse(localStorage.getItem(storageKey) || 'null');
    if (value && typeof value.id === 'string' && typeof value.token === 'string' && value.service === serviceId) {
      return { id: value.id, token: value.token, service: value.service };
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

export function forgetStored() {
  try {
    localStorage.removeItem(storageKey);
  } catch {
    // nothing to forget
  }
}
