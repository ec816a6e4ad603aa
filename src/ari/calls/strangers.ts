import type { Logger } from 'pino';
import type { Ari, AriEvent } from '../client.ts';
import { isNotFound } from '../errors.ts';

export const STRANGER_EVENTS = ['StasisStart'] as const;

// Only the controller places calls. A channel that enters the Stasis app without being one of its
// legs (an agent's phone dialling a number lands here through from-internal-agents, a call from the
// carrier through from-trunk) is hung up at once: no SIP request can make Asterisk call anyone.
export function refuseStranger(ari: Ari, event: AriEvent, logger: Logger): void {
  const channel = event.channel;
  if (event.type !== 'StasisStart' || !channel) return;
  logger.warn({ channel: channel.name, caller: channel.caller?.number, args: event.args }, 'hung up a call the controller did not place');
  ari.channels.hangup({ channelId: channel.id, reason: 'rejected' }).catch((err: unknown) => {
    if (!isNotFound(err)) logger.error({ err, channel: channel.name }, 'could not hang up a call the controller did not place');
  });
}
