import type { Ari } from '../client.ts';
import { isNotFound } from '../errors.ts';

export type PjsipField = { attribute: string; value: string };

// Plain SIP over UDP with RTP (desk phones, test user agents) or WebRTC over the WebSocket transport.
export const SIP_UDP_MEDIA: PjsipField[] = [
  { attribute: 'transport', value: 'transport-udp' },
  { attribute: 'allow', value: '!all,ulaw,alaw' },
  { attribute: 'direct_media', value: 'no' },
  { attribute: 'rtp_symmetric', value: 'yes' },
  { attribute: 'force_rport', value: 'yes' },
  { attribute: 'rewrite_contact', value: 'yes' },
];

export const WEBRTC_MEDIA: PjsipField[] = [
  { attribute: 'transport', value: 'transport-ws' },
  { attribute: 'webrtc', value: 'yes' },
  { attribute: 'allow', value: '!all,opus,ulaw' },
];

// Creates or replaces one registrable PJSIP endpoint (auth + aor + endpoint, same id) through ARI
// dynamic configuration. Only an authenticated request is ever identified as this endpoint.
// `messageContext` is where texts (SIP MESSAGE) from this endpoint go; without it they would run the
// calls' context.
export async function pushPjsipEndpoint(ari: Ari, id: string, password: string, context: string, media: PjsipField[], messageContext?: string): Promise<void> {
  const update = (objectType: string, fields: PjsipField[]) =>
    ari.asterisk.updateObject({ configClass: 'res_pjsip', objectType, id, fields: { fields } });
  await update('auth', [
    { attribute: 'auth_type', value: 'digest' },
    { attribute: 'username', value: id },
    { attribute: 'password', value: password },
  ]);
  // An AOR is created once, never updated: ARI updates a copy of the object, and copying an AOR turns
  // the phone registered on it into a permanent contact (online forever, even once the phone is gone).
  const aorExists = await ari.asterisk.getObject({ configClass: 'res_pjsip', objectType: 'aor', id }).then(
    () => true,
    (err: unknown) => {
      if (isNotFound(err)) return false;
      throw err;
    },
  );
  if (!aorExists) {
    await update('aor', [
      { attribute: 'max_contacts', value: '1' },
      { attribute: 'remove_existing', value: 'yes' },
    ]);
  }
  await update('endpoint', [
    ...media,
    { attribute: 'context', value: context },
    ...(messageContext ? [{ attribute: 'message_context', value: messageContext }] : []),
    { attribute: 'aors', value: id },
    { attribute: 'auth', value: id },
    { attribute: 'identify_by', value: 'auth_username' },
  ]);
}
