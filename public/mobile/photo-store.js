// Photos chosen but not yet acknowledged, kept in IndexedDB (localStorage holds only strings), so a
// reload sends them again like the texts storage.js keeps. Each record: {client_id, chat, file, keptAt}.
// Storage that is unavailable (private mode, quota) only means a photo does not survive a reload.
import { MAX_UNSENT_PHOTOS } from './state.js';

const STORE = 'unsent';

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open('chat-photos', 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'client_id' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

// Runs `body(store)` in one transaction; resolves with what its last request returned, once committed.
async function inStore(mode, body) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      let last;
      body(tx.objectStore(STORE), (req) => (last = req));
      tx.oncomplete = () => resolve(last && last.result);
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

const chatRecords = async (chat) => ((await inStore('readonly', (store, track) => track(store.getAll()))) || []).filter((r) => r.chat === chat);

// The chat's photos still unsent, oldest first.
export async function loadPhotos(chat) {
  try {
    return (await chatRecords(chat)).filter((r) => r.file instanceof Blob).sort((a, b) => a.keptAt - b.keptAt);
  } catch {
    return [];
  }
}

// Past MAX_UNSENT_PHOTOS waiting, a new one is not kept (it is still sent and shown). Counted and put in
// one transaction, and only while `stillKept()` (the chat is still the one this device keeps): a photo
// chosen as the chat is forgotten is never written after the forgetting.
export async function keepPhoto(chat, clientId, file, stillKept) {
  try {
    await inStore('readwrite', (store) => {
      const all = store.getAll();
      all.onsuccess = () => {
        const waiting = all.result.filter((r) => r.chat === chat).length;
        if (waiting < MAX_UNSENT_PHOTOS && stillKept()) store.put({ client_id: clientId, chat, file, keptAt: Date.now() });
      };
    });
  } catch {
    // not kept: see the top
  }
}

export async function dropPhoto(clientId) {
  try {
    await inStore('readwrite', (store) => store.delete(clientId));
  } catch {
    // nothing kept to drop
  }
}

// The chat is forgotten on this device: so are its photos.
export async function forgetPhotos(chat) {
  try {
    const ids = (await chatRecords(chat)).map((r) => r.client_id);
    if (ids.length) await inStore('readwrite', (store) => ids.forEach((id) => store.delete(id)));
  } catch {
    // nothing kept to forget
  }
}
