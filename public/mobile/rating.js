// The customer's rating of an ended chat: Rate (1 to 5) and an optional Comment, sent once. Rated, the
// chat is forgotten on this device (a reload shows the start form).
import { api, chatPath } from './api.js';
import { state } from './state.js';
import { forgetStored } from './storage.js';
import { showRating, ui } from './ui.js';

export function wireRating() {
  ui.ratingForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const s = state.session;
    if (!s || !s.ended || !ui.ratingScore.value) return;
    const body = { score: Number(ui.ratingScore.value) };
    if (ui.ratingComment.value.trim()) body.comment = ui.ratingComment.value.trim();
    const send = ui.ratingForm.querySelector('button');
    send.disabled = true;
    try {
      await api('POST', chatPath(s, '/rating'), { token: s.token, body });
      showRating(true, 'Thank you for your rating.');
      forgetStored(s.id);
    } catch (err) {
      if (err.code === 'already_rated') {
        showRating(true);
        forgetStored(s.id);
      } else ui.ratingStatus.textContent = err.message;
    } finally {
      send.disabled = false;
    }
  });
}
