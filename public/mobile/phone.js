// Development only: when the server calls customers through its simulated PSTN, this page can be the
// customer's phone for its own number. Incoming calls show Answer and Hang up; sip.js is loaded only
// when the server offers such a phone.
import { api, chatPath, isGone } from './api.js';
import { state } from './state.js';

const bar = document.getElementById('sim-phone');
const answerButton = document.getElementById('sim-phone-answer');
const hangUpButton = document.getElementById('sim-phone-hangup');
const status = document.getElementById('sim-phone-status');
const notice = document.getElementById('sim-phone-notice');
let current = null; // {session, phone}: the phone of the chat this page shows, phone set once registered
let away = null; // the server's words while the telephony is away, else null

function show(text, ringing, inCall) {
  bar.hidden = false;
  status.textContent = text;
  answerButton.hidden = !ringing || away !== null;
  hangUpButton.hidden = !(ringing || inCall);
  showNotice();
}

// While the telephony is away the phone bar says so, and no call can be answered (the phone
// registers again by itself once it is back).
function showNotice() {
  if (!notice || bar.hidden) return;
  notice.hidden = away === null;
  notice.textContent = away ?? '';
  if (away !== null) answerButton.hidden = true;
}

// A {type:"telephony"} frame of the chat's event stream.
export function telephonyChanged(frame) {
  away = frame.available ? null : frame.message || 'Telephony is unavailable.';
  if (bar) showNotice();
}

// The phone belongs to one chat: started when it opens, stopped when it ends or the page leaves it.
export async function startSimulatedPhone(s) {
  if (!bar || (current && current.session === s)) return;
  if (current) stopSimulatedPhone(current.session);
  const mine = { session: s, phone: null };
  current = mine;
  let settings;
  try {
    settings = await api('POST', chatPath(s, '/phone'), { token: s.token, body: { kind: 'browser' } });
  } catch (err) {
    if (err.status !== 404 && err.status !== 503) console.warn('no simulated phone:', err.message);
    return; // a real trunk: the customer's own phone rings
  }
  if (current !== mine) return;
  settings.path = `/sip?chat=${encodeURIComponent(s.id)}&token=${encodeURIComponent(s.token)}`;
  const { startPhone } = await import('/client/softphone.js');
  // A phone that outlived its chat (stopped while it registered) says nothing more to the page.
  const live = (fn) => (...args) => void (current === mine && fn(...args));
  const phone = await startPhone({
    settings,
    autoAnswer: false,
    onState: live((text) => show(`Your phone: ${text}`, false, false)),
    onIncoming: live((call) => {
      show('The agent is calling you', true, false);
      answerButton.onclick = () => {
        call.answer();
        show('In call with the agent', false, true);
      };
      hangUpButton.onclick = () => {
        call.hangUp();
        show('Call ended', false, false);
      };
    }),
    onEnded: live(() => show('Call ended', false, false)),
    onClosed: () => stopSimulatedPhone(s),
    keepTrying: () => chatStillOpen(s),
  });
  if (current === mine) mine.phone = phone;
  else void phone.stop();
}

// The chat's phone goes: unregistered, its user agent stopped, the bar hidden. A later chat gets its own.
export function stopSimulatedPhone(s) {
  if (!current || current.session !== s) return;
  const { phone } = current;
  current = null;
  if (phone) void phone.stop();
  bar.hidden = true;
  answerButton.hidden = true;
  hangUpButton.hidden = true;
  status.textContent = '';
}

// Asked after a refused reconnect: the server refuses the phone of an ended chat (the browser hears no why).
async function chatStillOpen(s) {
  if (state.session !== s || s.ended) return false;
  try {
    const chat = await api('GET', chatPath(s), { token: s.token });
    return Boolean(chat) && chat.state !== 'ended';
  } catch (err) {
    return !(err.status === 409 || isGone(err));
  }
}
