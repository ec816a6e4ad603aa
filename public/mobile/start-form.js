// The Start chat form: Name and Phone (E.164), checked here before the server checks them again.
import { ApiError, api } from './api.js';
import { openChat } from './session.js';
import { E164, busy, serviceId, state } from './state.js';
import { saveStored } from './storage.js';
import { notify, setBusy, ui } from './ui.js';

export function normalizePhone(value) {
  return value.replace(/[\s().-]/g, '');
}

export function appFields() {
  const fields = {
    Channel: 'Mobile web',
    Language: navigator.language || 'unknown',
    Screen: `${window.screen.width}x${window.screen.height}`,
  };
  try {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone) fields['Time zone'] = zone;
  } catch {
    // no time zone information
  }
  return fields;
}

export function setInvalid(input, invalid) {
  if (invalid) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

// The key of the chat this form starts: Start pressed again after a failure (its answer may have been
// lost on the way), also after a reload, sends the same one with the same details, so the server
// answers with that chat rather than a second one. Other details are a new chat; so is the next Start
// after one succeeded. Kept for this tab only (sessionStorage), with the details it was sent with.
const START_KEY = `start-key:${serviceId}`;

function startKeyFor(name, phone) {
  try {
    const kept = JSON.parse(sessionStorage.getItem(START_KEY) || 'null');
    if (kept && kept.name === name && kept.phone === phone && typeof kept.key === 'string') return kept.key;
  } catch {
    // storage unavailable or corrupt: a new key
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16)); // randomUUID needs a secure context
  const key = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  try {
    sessionStorage.setItem(START_KEY, JSON.stringify({ key, name, phone }));
  } catch {
    // not kept: a reload starts afresh
  }
  return key;
}

function forgetStartKey() {
  try {
    sessionStorage.removeItem(START_KEY);
  } catch {
    // nothing kept
  }
}

export function wireStartForm() {
  ui.phone.addEventListener('input', () => {
    setInvalid(ui.phone, false);
    ui.phoneHint.classList.remove('hint-error');
  });
  ui.name.addEventListener('input', () => setInvalid(ui.name, false));
  ui.startForm.addEventListener('submit', startChat);
}

async function startChat(event) {
  event.preventDefault();
  if (busy.has(ui.startButton)) return;
  const name = ui.name.value.trim();
  const phone = normalizePhone(ui.phone.value);
  setInvalid(ui.name, !name);
  if (!name) {
    notify('Please enter your name.', true);
    ui.name.focus();
    return;
  }
  if (!E164.test(phone)) {
    setInvalid(ui.phone, true);
    ui.phoneHint.classList.add('hint-error');
    notify('Please enter your phone number in international format: + then country code and number, e.g. +14155550123.', true);
    ui.phone.focus();
    return;
  }
  ui.phone.value = phone;
  setBusy(ui.startButton, true);
  notify('Starting your chat…');
  try {
    const created = await api('POST', '/chats', {
      body: { service: serviceId, name, phone, context: { fields: appFields() } },
      idempotencyKey: startKeyFor(name, phone),
    });
    if (!created || typeof created.id !== 'string' || typeof created.token !== 'string') {
      throw new ApiError(500, 'bad_response', 'The chat could not be started. Please try again.');
    }
    forgetStartKey();
    const stored = { id: created.id, token: created.token, service: serviceId };
    saveStored(stored);
    state.lastCustomer = { name, phone };
    notify('');
    void openChat(stored, false);
  } catch (err) {
    if (err.code === 'validation' || err.status === 400 || err.status === 422) {
      if (/phone/i.test(err.message)) setInvalid(ui.phone, true);
    }
    notify(err.message, true);
  } finally {
    setBusy(ui.startButton, false);
  }
}
