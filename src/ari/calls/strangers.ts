import type { Logger } from 'pino';
import type { Ari, AriEvent } from '../client.ts';
import { callerOf } from '../caller-id.ts';
import { isNotFound } from '../errors.ts';
import { isOurChannel } from './channel-names.ts';

export const STRANGER_EVENTS = ['StasisStart'] as const;

// Only the controller places calls. A channel that enters the Stasis app without being one of its
// legs (an agent's phone dialling a number lands here through from-internal-agents, a call from the
// carrier through from-trunk) is hung up at once: no SIP request can make Asterisk call anyone.
// A channel the controller placed is no stranger, even when no leg claims it (a restarted controller
// before reconciliation has adopted its calls): reconciliation keeps it or hangs it up.
export function refuseStranger(ari: Ari, event: AriEvent, logger: Logger): void {
  const channel = event.channel;
  if (event.type !== 'StasisStart' || !channel) return;
  if (isOurChannel(channel.id)) return void logger.debug({ channel: channel.id }, 'a channel of ours no call leg claims: left to reconciliation');
  logger.warn({ channel: channel.name, caller: callerOf(channel), args: event.args }, 'hung up a call the controller did not place');
  ari.channels.hangup({ channelId: channel.id, reason: 'rejected' }).catch((err: unknown) => {
    if (!isNotFound(err)) logger.error({ err, channel: channel.name }, 'could not hang up a call the controller did not place');
  });
}
