import { randomBytes } from 'node:crypto';
import type { RecordingRef } from '../../domain/ports.ts';
// How the controller names what it makes in Asterisk. A restarted controller finds its calls again by
// these names alone (reconcile.ts), so they are built here and nowhere else.
export type Role = 'agent' | 'customer';

const PREFIX = 'cc-';
const BRIDGE_PREFIX = `${PREFIX}leg-`;

// `turn`: how many times the call moved to another agent (a transfer): each agent's phone is its own channel.
export const channelIdOf = (legId: string, role: Role, turn = 0): string => `${PREFIX}${legId}-${role}${turn > 0 ? `-${turn}` : ''}`;

export const bridgeIdOf = (legId: string): string => `${BRIDGE_PREFIX}${legId}`;

// Where a consult's two agents talk: named as the leg's bridges are, so that reconciliation removes it
// (a consult does not survive a restart; the leg's own bridge is kept). Each consult has its own: a
// bridge Asterisk is still tearing down keeps its id a moment, and a consult right after a Cancel
// transfer could not make one under the same id (its agents then never talked).
export const consultBridgeIdOf = (legId: string, turn: number): string => `${BRIDGE_PREFIX}${legId}-consult-${turn}`;

// A channel the controller placed (whatever leg it belonged to).
export const isOurChannel = (channelId: string): boolean => channelId.startsWith(PREFIX);

// The leg of one of our bridges (its id), else undefined.
export const legIdOfBridge = (bridgeId: string): string | undefined => (bridgeId.startsWith(BRIDGE_PREFIX) ? bridgeId.slice(BRIDGE_PREFIX.length) : undefined);

export const isOurBridge = (bridgeName: string): boolean => bridgeName.startsWith(BRIDGE_PREFIX);

// A call's recording, named with its interaction: after an outage, what Asterisk still holds of ours is
// found again by name, and whatever does not start with this prefix is not ours and is never touched.
const RECORDING_PREFIX = `${PREFIX}rec-`;

export const recordingNameOf = (ref: RecordingRef): string => `${RECORDING_PREFIX}${ref.interactionId}_${ref.recordingId}`;

export function recordingOfName(name: string): RecordingRef | undefined {
  if (!name.startsWith(RECORDING_PREFIX)) return undefined;
  const [interactionId, recordingId, ...more] = name.slice(RECORDING_PREFIX.length).split('_');
  return interactionId && recordingId && more.length === 0 ? { interactionId, recordingId } : undefined;
}

// A supervisor's channels and bridge (snoops.ts) have their own prefix: reconcile-snoops.ts keeps or
// removes them, never the call legs' sweep above.
const SUPERVISION_PREFIX = 'sv-';

export const supervisorChannelIdOf = (supervisionId: string): string => `${SUPERVISION_PREFIX}${supervisionId}-phone`;

export const supervisionBridgeIdOf = (supervisionId: string): string => `${SUPERVISION_PREFIX}${supervisionId}`;

// Each mode change makes a new snoop channel: the old one may still be going when the next is made.
export const snoopChannelIdOf = (supervisionId: string): string => `${SUPERVISION_PREFIX}${supervisionId}-snoop-${randomBytes(4).toString('hex')}`;

export const isSnoopOf = (supervisionId: string, channelId: string): boolean => channelId.startsWith(`${SUPERVISION_PREFIX}${supervisionId}-snoop-`);

export const isSupervisionChannelOrBridge = (id: string): boolean => id.startsWith(SUPERVISION_PREFIX);
