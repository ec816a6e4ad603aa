// Development only: when the server calls customers through its simulated PSTN, this page can be the
// customer's phone for its own number. Incoming calls show Answer and Hang up; sip.js is loaded only
// when the server offers such a phone.
import { api, chatPath } from './api.js';
import { state } from './state.js';

const bar = document.getElementById('sim-phone');
const answerButton = document.getElementById('sim-phone-answer');
const hangUpButton = document.getElementById('sim-phone-hangup');
const status = document.getElementById('sim-phone-status');
let current = null;

function show(text, ringing, inCall) {
  bar.hidden = false;
  status.textContent = text;
  answerButton.hidden = !ringing;
  hangUpButton.hidden = !(ringing || inCall);
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
