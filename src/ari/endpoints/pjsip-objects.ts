import { createHash, randomBytes } from 'node:crypto';
import type { Ari } from '../client.ts';
import { ignoreNotFound, isNotFound } from '../errors.ts';

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

// The realm of every challenge to our endpoints' phones. Set on each auth object rather than left to
// the global default_realm, because the stored digests are computed with it: an Asterisk whose
// default_realm differs (ARI_URL) still accepts them.
export const SIP_REALM = 'contact-center';

// A SIP password, handed out once; Asterisk and the store get only its digest (md5_cred).
export function newSipPassword(): string {
  return randomBytes(18).toString('base64url');
}

// md5(username:realm:password): what a digest challenge is checked against (RFC 2617's HA1).
export function sipDigest(username: string, password: string): string {
  return createHash('md5').update(`${username}:${SIP_REALM}:${password}`).digest('hex');
}

// Creates or replaces one registrable PJSIP endpoint (auth + aor + endpoint, same id) through ARI
// dynamic configuration. Only an authenticated request is ever identified as this endpoint.
// `md5Cred` is sipDigest(id, password): Asterisk never learns the password itself.
// `messageContext` is where texts (SIP MESSAGE) from this endpoint go; without it they would run the
// calls' context.
export async function pushPjsipEndpoint(ari: Ari, id: string, md5Cred: string, context: string, media: PjsipField[], messageContext?: string): Promise<void> {
  const update = (objectType: string, fields: PjsipField[]) =>
    ari.asterisk.updateObject({ configClass: 'res_pjsip', objectType, id, fields: { fields } });
  // auth_type=md5 with md5_cred is what every Asterisk since 12 takes; 22 converts it to digest with
  // password_digest=md5:<md5_cred>.
  await update('auth', [
    { attribute: 'auth_type', value: 'md5' },
    { attribute: 'username', value: id },
    { attribute: 'realm', value: SIP_REALM },
    { attribute: 'md5_cred', value: md5Cred },
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

// Deletes the registered contacts of an AOR. The AOR lists their URIs; PJSIP names each contact
// "<aor>;@<md5 of its URI>" (res_pjsip location.c).
export async function dropRegistrations(ari: Ari, aor: string): Promise<number> {
  const fields = await ari.asterisk.getObject({ configClass: 'res_pjsip', objectType: 'aor', id: aor });
  const uris = (fields.find((f) => f.attribute === 'contact')?.value ?? '').split(',').map((u) => u.trim()).filter(Boolean);
  for (const uri of uris) {
    const id = `${aor};@${createHash('md5').update(uri).digest('hex')}`;
    await ari.asterisk.deleteObject({ configClass: 'res_pjsip', objectType: 'contact', id }).catch(ignoreNotFound);
  }
  return uris.length;
}
