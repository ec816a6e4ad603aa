import { randomBytes } from 'node:crypto';
import type { SipCredentialStore } from '../domain/ports.ts';
import type { Ari } from './client.ts';

// Development only: the trunk leads to a simulated PSTN inside the same Asterisk (see
// asterisk-config/extensions.conf, context simulated-pstn), which rings the SIP user agent registered
// for the dialled number. This creates that number's endpoint: "<digits>", context
// from-simulated-customers (which can call nothing), WebRTC for a browser or plain SIP for a test UA.
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
  const update = (objectType: string, fields: Array<{ attribute: string; value: string }>) =>
    ari.asterisk.updateObject({ configClass: 'res_pjsip', objectType, id: username, fields: { fields } });
  await update('auth', [
    { attribute: 'auth_type', value: 'digest' },
    { attribute: 'username', value: username },
    { attribute: 'password', value: password },
  ]);
  await update('aor', [
    { attribute: 'max_contacts', value: '1' },
    { attribute: 'remove_existing', value: 'yes' },
  ]);
  const media =
    kind === 'browser'
      ? [
          { attribute: 'transport', value: 'transport-ws' },
          { attribute: 'webrtc', value: 'yes' },
          { attribute: 'allow', value: '!all,opus,ulaw' },
        ]
      : [
          { attribute: 'transport', value: 'transport-udp' },
          { attribute: 'allow', value: '!all,ulaw,alaw' },
          { attribute: 'direct_media', value: 'no' },
          { attribute: 'rtp_symmetric', value: 'yes' },
          { attribute: 'force_rport', value: 'yes' },
          { attribute: 'rewrite_contact', value: 'yes' },
        ];
  await update('endpoint', [...media, { attribute: 'context', value: 'from-simulated-customers' }, { attribute: 'aors', value: username }, { attribute: 'auth', value: username }, { attribute: 'identify_by', value: 'auth_username' }]);
  return { username, password };
}
