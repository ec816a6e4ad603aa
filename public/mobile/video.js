// Customer video: the Request video and Close video requests, and while the agent's Allow holds, the two
// video windows (the agent's camera and the customer's own) run by the shared video client
// /client/video.js, loaded only then. The server's word on the video (chat JSON, timeline frames) drives
// the windows.
import { api, chatPath } from './api.js';
import { API, state } from './state.js';
import { notify, setBusy, ui } from './ui.js';

// What the page says of each state; Request video's own answer says the first.
export const CHANGE_TEXT = {
  requested: 'Video requested. Waiting for the agent to allow it…',
  active: 'Video is on.',
  declined: 'The agent declined video. You can ask again later.',
};

// Frames often come in bursts (a reconnect replays the timeline): act on the last word only.
export function scheduleVideo(s, video) {
  if (!video || typeof video !== 'object') return;
  s.videoWanted = video;
  clearTimeout(s.videoTimer);
  s.videoTimer = setTimeout(() => applyVideo(s), 50);
}

function applyVideo(s) {
  if (state.session !== s) return;
  const v = s.videoWanted;
  const before = s.videoShown;
  s.videoShown = v;
  const changed = !before || before.id !== v.id || before.state !== v.state;
  if (v.state === 'active' && !s.ended) void startCall(s, v.id);
  else stopVideo(s);
  if (!changed) return;
  if (v.state === 'closed' && before) notify(v.ended_by === 'customer' ? 'Video closed.' : 'Video ended.');
  // Shown first (a reload): only what still waits or runs is worth saying.
  else if (CHANGE_TEXT[v.state] && (before || v.state === 'active' || v.state === 'requested')) notify(CHANGE_TEXT[v.state]);
}

async function startCall(s, id) {
  if (s.videoCall && s.videoCall.id === id) return;
  stopVideo(s);
  const call = { id, controller: null, stopped: false };
  s.videoCall = call;
  ui.video.hidden = false;
  ui.videoStatus.textContent = 'Starting video…';
  try {
    const { startVideo, httpSignal } = await import('/client/video.js');
    if (call.stopped) return;
    call.controller = startVideo({
      signal: httpSignal(API + chatPath(s, '/video/signal'), { Authorization: `Bearer ${s.token}` }),
      localVideo: ui.localVideo,
      remoteVideo: ui.remoteVideo,
      onState: (_state, text) => {
        if (!call.stopped) ui.videoStatus.textContent = text;
      },
    });
  } catch (err) {
    if (!call.stopped) ui.videoStatus.textContent = `Video could not start: ${err.message}`;
  }
}

// Stops the camera and the transports, and hides the windows. Idempotent.
export function stopVideo(s) {
  const call = s.videoCall;
  if (!call) return;
  s.videoCall = null;
  call.stopped = true;
  ui.video.hidden = true;
  ui.videoStatus.textContent = '';
  if (call.controller) call.controller.stop().catch((err) => console.error('stopping video failed', err));
}

// Request video (POST) or Close video (DELETE). `onFailed(s, err)` hears of a refusal: the chat itself
// may be the cause.
export async function videoAction(button, method, doneText, onFailed) {
  const s = state.session;
  if (!s || s.ended) return;
  setBusy(button, true);
  try {
    const video = await api(method, chatPath(s, '/video'), { token: s.token });
    if (state.session !== s) return;
    notify(doneText);
    s.videoShown = video; // already said, in doneText
    scheduleVideo(s, video);
  } catch (err) {
    onFailed(s, err);
  } finally {
    setBusy(button, false);
  }
}
