// Agent desktop video glue, loaded by desktop.js only once a video request or video windows show up:
// a browser notification for each new request (clicking it opens that interaction), and the video
// client (/client/video.js, with mediasoup-client) for the video windows of the open panel.

const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content ?? '';

export function startVideoWindows() {
  for (const box of document.querySelectorAll('.video-windows[data-interaction]:not([data-video-started])')) {
    box.dataset.videoStarted = 'yes';
    const id = box.dataset.interaction;
    const status = box.querySelector('.video-status');
    const show = (state, text) => {
      box.dataset.videoState = state;
      if (status) status.textContent = text;
    };
    import('/client/video.js').then(
      ({ startVideo, httpSignal }) => {
        if (!box.isConnected) return;
        startVideo({
          signal: httpSignal(`/desktop/interactions/${encodeURIComponent(id)}/video/signal`, { 'X-CSRF-Token': csrf() }),
          localVideo: box.querySelector('.local-video'),
          remoteVideo: box.querySelector('.remote-video'),
          onState: show,
        });
      },
      (err) => show('failed', `The video client could not load: ${err.message}`),
    );
  }
}

// Each request once (by video session), even when several fragments carry it.
const notified = new Set();

export function notifyVideoRequests(html) {
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  const doc = new DOMParser().parseFromString(html, 'text/html');
  for (const el of doc.querySelectorAll('[data-video-request][data-video-session]')) {
    const session = el.dataset.videoSession;
    if (notified.has(session)) continue;
    notified.add(session);
    const interaction = el.dataset.videoRequest;
    const note = new Notification('Video requested', {
      body: `${el.dataset.customer || 'A customer'} asks for video. Allow or decline it in the chat.`,
      tag: `video-${session}`,
    });
    note.onclick = () => {
      window.focus();
      note.close();
      openInteraction(interaction);
    };
  }
}

// Brings the interaction's panel up (as clicking it in the list does) and puts the focus on Allow.
function openInteraction(id) {
  const focusAllow = () => document.querySelector(`#video-${CSS.escape(id)} button.allow`)?.focus();
  if (document.getElementById(`interaction-${id}`)) return focusAllow();
  const url = `/desktop/interactions/${encodeURIComponent(id)}`;
  window.htmx.ajax('GET', url, { target: '#workspace', swap: 'innerHTML' }).then(() => {
    history.pushState({}, '', url);
    focusAllow();
  }, (err) => console.error('opening the interaction failed', err));
}
