// Customer web client for /m/{service}: plain browser ES modules, no build step. Talks only to the
// mobile API (/api/v1). All user and agent text goes in through textContent. This module boots the page;
// the others each own one concern (state, ui, api, storage, session, events, messages, start-form,
// controls, video) and register their own listeners when imported.
import './controls.js';
import './start-form.js';
import './video.js';
import { openChat } from './session.js';
import { loadStored } from './storage.js';
import { showStart } from './ui.js';

const stored = loadStored();
if (stored) {
  void openChat(stored, true);
} else {
  showStart('');
}
