import { randomBytes } from 'node:crypto';
import type { SipCredentialStore } from '../../domain/ports.ts';
import type { Ari } from '../client.ts';
import { pushPjsipEndpoint, SIP_UDP_MEDIA, WEBRTC_MEDIA } from './pjsip-objects.ts';

// Development only: the trunk leads to a simulated PSTN inside the same Asterisk (see
// asterisk-config/extensions.conf, context simulated-pstn), which rings the SIP user agent registered
// for the dialled number. This creates that number's endpoint: "<digits>", context
// from-simulated-customers (which can call nothing), WebRTC for a browser or plain SIP for a test UA.
// Its texts (SIP MESSAGE) go to simulated-customers-texts, which passes them to the SMS trunk with the
// sender's number taken from this endpoint's callerid (never from what the phone writes in From).
export async function ensureSimulatedPhone(
  ari: Ari,
  credentials: SipCredentialStore,
  number: string,
  kind: 'browser' | 'sip',
): Promise<{ username: string; password: string }> {
  const username = number.replace(/^\+/, '');
  if (!/^[1-9][0-9]{6,14}$/.test(username)) throw new Error('not an E.164 number');
  const key = `pstn:${username}`;
  let password = await credentials.get(key);
  if (!password) {
    password = randomBytes(18).toString('base64url');
    await credentials.set(key, password);
  }
  await pushPjsipEndpoint(ari, username, password, 'from-simulated-customers', [
    ...(kind === 'browser' ? WEBRTC_MEDIA : SIP_UDP_MEDIA),
    { attribute: 'message_context', value: 'simulated-customers-texts' },
    { attribute: 'callerid', value: `"+${username}" <+${username}>` },
  ]);
  return { username, password };
}
