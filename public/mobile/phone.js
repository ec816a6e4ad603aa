// Development only: when the server calls customers through its simulated PSTN, this page can be the
// customer's phone for its own number. Incoming calls show Answer and Hang up; sip.js is loaded only
// when the server offers such a phone.
import { api, chatPath } from './api.js';
import { state } from './state.js';

const bar = document.getElementById('sim-phone');
const answerButton = document.getElementById('sim-phone-answer');
const hangUpButton = document.getElementById('sim-phone-hangup');
const status = document.getElementById('sim-phone-status');
const notice = document.getElementById('sim-phone-notice');
let current = null;
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

export async function startSimulatedPhone(s) {
  if (!bar || current) return;
  let settings;
  try {
    settings = await api('POST', chatPath(s, '/phone'), { token: s.token, body: { kind: 'browser' } });
  } catch (err) {
    if (err.status !== 404 && err.status !== 503) console.warn('no simulated phone:', err.message);
    return; // a real trunk: the customer's own phone rings
  }
  if (state.session !== s) return;
  settings.path = `/sip?chat=${encodeURIComponent(s.id)}&token=${encodeURIComponent(s.token)}`;
  const { startPhone } = await import('/client/softphone.js');
  current = await startPhone({
    settings,
    autoAnswer: false,
    onState: (text) => show(`Your phone: ${text}`, false, false),
    onIncoming: (call) => {
      show('The agent is calling you', true, false);
      answerButton.onclick = () => {
        call.answer();
        show('In call with the agent', false, true);
      };
      hangUpButton.onclick = () => {
        call.hangUp();
        show('Call ended', false, false);
      };
    },
    onEnded: () => show('Call ended', false, false),
  });
}
