// The chat controls: Send (and Ctrl+Enter), Photo, Share location, Request video, Close video, End chat,
// Start a new chat. Failures go to the session's actionFailed, which checks whether the chat is the cause.
import { api, chatPath } from './api.js';
import { sendPhotoFile, sendText } from './messages.js';
import { actionFailed, leaveChat, markEnded } from './session.js';
import { MAX_PHOTO_BYTES, MAX_TEXT, state } from './state.js';
import { notify, setBusy, ui } from './ui.js';
import { CHANGE_TEXT, videoAction } from './video.js';

export function wireControls() {
  ui.sendForm.addEventListener('submit', sendMessage);
  ui.message.addEventListener('keydown', sendOnCtrlEnter);
  ui.photo.addEventListener('change', sendPhoto);
  ui.shareLocation.addEventListener('click', shareLocation);
  ui.videoRequest.addEventListener('click', () => {
    void videoAction(ui.videoRequest, 'POST', CHANGE_TEXT.requested, actionFailed);
  });
  ui.videoClose.addEventListener('click', () => void videoAction(ui.videoClose, 'DELETE', 'Video closed.', actionFailed));
  ui.endChat.addEventListener('click', endChat);
  ui.newChat.addEventListener('click', newChat);
}

function sendMessage(event) {
  event.preventDefault();
  const s = state.session;
  if (!s || s.ended) return;
  const text = ui.message.value.trim();
  if (!text) {
    notify('Type a message first.');
    ui.message.focus();
    return;
  }
  if (text.length > MAX_TEXT) {
    notify(`Messages can be at most ${MAX_TEXT} characters (this one has ${text.length}).`, true);
    return;
  }
  notify('');
  ui.message.value = '';
  ui.message.focus();
  sendText(s, text, actionFailed);
}

// Ctrl+Enter / Cmd+Enter sends; plain Enter makes a new line (messages may be long).
function sendOnCtrlEnter(event) {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    ui.sendForm.requestSubmit();
  }
}

async function sendPhoto() {
  const s = state.session;
  const file = ui.photo.files && ui.photo.files[0];
  ui.photo.value = '';
  if (!s || s.ended || !file) return;
  if (file.type && !file.type.startsWith('image/')) {
    notify('Please choose an image.', true);
    return;
  }
  if (file.size > MAX_PHOTO_BYTES) {
    notify('This photo is too large (at most 10 MB).', true);
    return;
  }
  notify('');
  void sendPhotoFile(s, file, actionFailed);
}

export function geoErrorMessage(err) {
  if (err && err.code === 1) {
    return window.isSecureContext
      ? 'Location permission was denied. Allow location access for this page to share it.'
      : 'Sharing your location needs a secure (https) page.';
  }
  if (err && err.code === 3) return 'Finding your location took too long. Please try again.';
  return 'Your location could not be determined.';
}

// The location being asked for: Share location tapped again while the browser still asks (its button
// comes back after a while) asks once more, and the first answer of any of them is the one sent.
let locating = null;

function shareLocation() {
  const s = state.session;
  if (!s || s.ended) return;
  if (!('geolocation' in navigator)) {
    notify('Location is not available in this browser.', true);
    return;
  }
  if (locating?.session !== s || locating.answered) locating = { session: s, answered: false, asking: 0 };
  const ask = locating;
  ask.asking += 1;
  setBusy(ui.shareLocation, true);
  notify('Finding your location…');
  // A permission prompt left unanswered calls neither callback (the timeout runs only once allowed):
  // the button comes back after a while, and a late answer still sends the location.
  const unanswered = setTimeout(() => {
    if (ask.answered) return;
    setBusy(ui.shareLocation, false);
    if (state.session === s) notify('No location yet: allow it when your browser asks, or tap Share location again.', true);
  }, 30_000);
  navigator.geolocation.getCurrentPosition(
    async (position) => {
      clearTimeout(unanswered);
      if (ask.answered) return;
      ask.answered = true;
      const { latitude, longitude, accuracy } = position.coords;
      const loc = { lat: latitude, lon: longitude };
      if (Number.isFinite(accuracy)) loc.accuracy_m = accuracy;
      try {
        await api('POST', chatPath(s, '/context'), { body: { location: loc }, token: s.token });
        if (state.session !== s) return;
        const precision = Number.isFinite(accuracy) ? ` (±${Math.round(accuracy)} m)` : '';
        ui.location.textContent = `Location sent: ${latitude}, ${longitude}${precision}`;
        notify('Location shared.');
      } catch (err) {
        actionFailed(s, err);
      } finally {
        setBusy(ui.shareLocation, false);
      }
    },
    (err) => {
      clearTimeout(unanswered);
      ask.asking -= 1;
      // Another ask still waiting may yet be answered.
      if (ask.answered || ask.asking > 0) return;
      ask.answered = true;
      setBusy(ui.shareLocation, false);
      if (state.session === s) notify(geoErrorMessage(err), true);
    },
    { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 },
  );
}

async function endChat() {
  const s = state.session;
  if (!s || s.ended) return;
  setBusy(ui.endChat, true);
  try {
    await api('POST', chatPath(s, '/end'), { token: s.token });
    notify('');
    markEnded(s);
  } catch (err) {
    actionFailed(s, err);
  } finally {
    setBusy(ui.endChat, false);
  }
}

function newChat() {
  leaveChat(state.session);
  ui.name.focus();
}
