import type { Ari } from '../client.ts';
import { newSipPassword, pushPjsipEndpoint, SIP_UDP_MEDIA, sipDigest, WEBRTC_MEDIA } from './pjsip-objects.ts';

// Development only: the trunk leads to a simulated PSTN inside the same Asterisk (see
// asterisk-config/extensions.conf, context simulated-pstn), which rings the SIP user agent registered
// for the dialled number. This creates that number's endpoint: "<digits>", context
// from-simulated-customers (which can call nothing), WebRTC for a browser or plain SIP for a test UA.
// Its texts (SIP MESSAGE) go to simulated-customers-texts, which passes them to the SMS trunk with the
// sender's number taken from this endpoint's callerid (never from what the phone writes in From).
// A new password each time unless one is given back (a test pushing its phone again after an Asterisk
// restart), kept nowhere: Asterisk gets its digest, the caller the password.
export async function ensureSimulatedPhone(ari: Ari, number: string, kind: 'browser' | 'sip', password = newSipPassword()): Promise<{ username: string; password: string }> {
  const username = number.replace(/^\+/, '');
  if (!/^[1-9][0-9]{6,14}$/.test(username)) throw new Error('not an E.164 number');
  await pushPjsipEndpoint(ari, username, sipDigest(username, password), 'from-simulated-customers', [
    ...(kind === 'browser' ? WEBRTC_MEDIA : SIP_UDP_MEDIA),
    { attribute: 'message_context', value: 'simulated-customers-texts' },
    { attribute: 'callerid', value: `"+${username}" <+${username}>` },
  ]);
  return { username, password };
}
