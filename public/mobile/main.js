// Customer web client for /m/{service}: plain browser ES modules, no build step. Talks only to the
// mobile API (/api/v1). All user and agent text goes in through textContent.
// The modules import downward only (test/unit/browser-modules.test.ts keeps it so):
//   state, storage  <-  api, ui  <-  events (the socket), messages, video, phone (views)
//   <-  session (the chat's life; feeds the views)  <-  controls, start-form (user actions)  <-  main
// A lower module reports back through a callback it is given, never by importing the one above.
// This module wires the listeners and boots the page.
import { wireControls } from './controls.js';
import { wireRating } from './rating.js';
import { reconnectOnWake } from './events.js';
import { forgetIfDue, openChat } from './session.js';
import { wireStartForm } from './start-form.js';
import { loadStored } from './storage.js';
import { showStart } from './ui.js';

wireControls();
wireRating();
wireStartForm();
reconnectOnWake();
document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && forgetIfDue());
window.addEventListener('pageshow', () => forgetIfDue());

const stored = loadStored();
if (stored) {
  void openChat(stored, true);
} else {
  showStart('');
}
