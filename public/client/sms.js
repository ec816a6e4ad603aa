// SMS chats on the agent desktop, loaded by desktop.js once an SMS chat is on the page (bundled by the
// server with esbuild, like the softphone): the live segment count under the message box, computed by
// the very rules replies are sent with (src/domain/sms-segments.ts), and the delivery status of
// replies, refreshed from the chat panel while some reply has no final status yet.
import { countSegments, describeSegments } from '../../src/domain/sms-segments.ts';

const PENDING = '.sms-status[data-final="false"]';
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30_000;
const GIVE_UP_MS = 10 * 60_000;

let listening = false;
let timer = null;
let delay = FIRST_DELAY_MS;
let watchingSince = 0;

function showCount(box) {
  const out = document.getElementById(box.dataset.smsCount);
  const label = describeSegments(countSegments(box.value));
  if (out && out.textContent !== label) out.textContent = label;
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
  if (document.querySelector(PENDING)) {
    delay = FIRST_DELAY_MS;
    watchingSince = Date.now();
    if (!timer) timer = setTimeout(refreshStatuses, delay);
  }
}

async function refreshStatuses() {
  timer = null;
  const ids = new Set();
  for (const el of document.querySelectorAll(PENDING)) {
    const id = el.closest('[data-interaction]')?.dataset.interaction;
    if (id) ids.add(id);
  }
  for (const id of ids) {
    try {
      const res = await fetch(`/desktop/interactions/${encodeURIComponent(id)}`, { headers: { 'HX-Request': 'true' } });
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
  delay = Math.min(delay * 2, MAX_DELAY_MS);
  if (document.querySelector(PENDING) && Date.now() - watchingSince < GIVE_UP_MS) timer = setTimeout(refreshStatuses, delay);
}
