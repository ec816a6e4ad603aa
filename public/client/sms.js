// SMS chats on the agent desktop, loaded by desktop.js once an SMS chat is on the page (bundled by the
// server with esbuild, like the softphone): the live segment count under the message box, computed by
// the very rules replies are sent with (src/domain/sms-segments.ts), and the delivery status of
// replies, refreshed from the chat panel while some reply has no final status yet.
import { SEND_RETRY_MS } from '../../src/domain/sms-send-retries.ts';
import { countSegments, describeSegments } from '../../src/domain/sms-segments.ts';

const PENDING = '.sms-status[data-final="false"]';
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30_000;
// Longer than the server's retries of a send (with each try's time-out): a reply that fails in the
// end is seen to, "Not sent".
const GIVE_UP_MS = SEND_RETRY_MS.reduce((a, b) => a + b, 0) + 5 * 60_000;

let listening = false;
// null when idle, else the timeout of the next round or 'fetching' while a round runs.
let next = null;
let delay = FIRST_DELAY_MS;
let watchingSince = 0;
// Statuses already watched: every pushed frame calls start(), only a new pending reply starts afresh.
const watched = new Set();
// Chats the server no longer opens for this agent (403, 404: transferred, gone): not asked again.
const refused = new Set();

const chatOf = (el) => el.closest('[data-interaction]')?.dataset.interaction;
const pendingChats = () => new Set([...document.querySelectorAll(PENDING)].map(chatOf).filter((id) => id && !refused.has(id)));

function showCount(box) {
  const out = document.getElementById(box.dataset.smsCount);
  const label = describeSegments(countSegments(box.value));
  if (out && out.textContent !== label) out.textContent = label;
}

function schedule() {
  if (next !== null || pendingChats().size === 0 || Date.now() - watchingSince >= GIVE_UP_MS) return;
  next = setTimeout(refreshStatuses, delay);
}

// Called by desktop.js after every swap and pushed fragment.
export function start() {
  if (!listening) {
    listening = true;
    document.addEventListener('input', (e) => {
      if (e.target instanceof HTMLTextAreaElement && e.target.dataset.smsCount) showCount(e.target);
    });
  }
  for (const box of document.querySelectorAll('textarea[data-sms-count]')) showCount(box);
  let fresh = false;
  for (const el of document.querySelectorAll(PENDING)) {
    if (!el.id || watched.has(el.id)) continue;
    watched.add(el.id);
    refused.delete(chatOf(el));
    fresh = true;
  }
  if (fresh) {
    delay = FIRST_DELAY_MS;
    watchingSince = Date.now();
    if (typeof next === 'number') clearTimeout(next);
    if (next !== 'fetching') next = null;
  }
  schedule();
}

async function refreshStatuses() {
  next = 'fetching';
  for (const id of pendingChats()) {
    try {
      const res = await fetch(`/desktop/interactions/${encodeURIComponent(id)}`, { headers: { 'HX-Request': 'true' } });
      if (res.status === 403 || res.status === 404) refused.add(id);
      if (!res.ok) continue;
      const fresh = new DOMParser().parseFromString(await res.text(), 'text/html');
      for (const status of fresh.querySelectorAll('.sms-status[id]')) {
        const shown = document.getElementById(status.id);
        if (shown && shown.dataset.status !== status.dataset.status) shown.replaceWith(document.importNode(status, true));
      }
    } catch {
      // Offline for a moment: the next round tries again.
    }
  }
  next = null;
  delay = Math.min(delay * 2, MAX_DELAY_MS);
  schedule();
}
