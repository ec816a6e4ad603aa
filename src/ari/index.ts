// Entry point of the ARI adapter (voice over Asterisk): what main.ts, the SMS trunk, tests and benches
// use. Inside src/ari, modules import each other directly.
export { createVoice, type AriApp, type AriAppListener, type Voice, type VoiceConfig, type VoiceHealth, type VoiceSinks } from './voice.ts';
export { connectAri, sendText, type Ari, type AriEvent } from './client.ts';
export { AriHttpError, isNotFound } from './errors.ts';
export { startAsterisk, type AsteriskInstance } from './asterisk/process.ts';
export { CHROOT_RUNTIME_DIR, defaultChrootPath } from './asterisk/installation.ts';
export { ChatPhones, ensureSimulatedPhone, SIMULATED_PHONE_HEADER } from './endpoints/simulated-pstn.ts';
