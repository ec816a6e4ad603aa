// The supervisor's browser phone, on the Monitor page only (Listen rings it): the same softphone as the agent's (it answers the
// controller's call by itself), unless the desktop's Phone setting says calls ring the desk phone.
const state = document.getElementById('phone-state');
const show = (text, kind) => {
  state.textContent = text;
  state.dataset.state = kind;
};
if ((localStorage.getItem('phone-mode') || 'browser') === 'desk') show('Calls ring your desk phone', 'desk');
else import('/client/softphone.js').then((m) => m.startSoftphone({ onState: show })).catch((err) => show(`Phone failed: ${err.message}`, 'error'));
