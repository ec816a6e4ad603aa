import type { Logger } from 'pino';
import { FORWARDED } from './commands.ts';
import { LinkStopped, type LinkClient } from './link-client.ts';

// 'catching_up': this node won the lock and reads what the last leader committed (what it replays was
// acted on by that leader already); 'becoming': it recovers, its rules running. In both its commands
// wait for it to lead.
export type Role = 'follower' | 'catching_up' | 'becoming' | 'leader';

// Whether this node's rules act on its events (a replayed event was the last leader's to act on).
export const runsRules = (role: Role): boolean => role === 'becoming' || role === 'leader';

export interface Forwarding {
  role(): Role;
  promoted: Promise<void>;
  link: LinkClient;
  // Reads back what a forwarded command committed before its caller goes on (read your writes).
  settle(target: string, method: string, args: unknown[], result: unknown): Promise<void>;
  logger: Logger;
}

// The object the web layer is given: on the leader it is `local` itself; on a follower its
// allowlisted commands (commands.ts) go to the leader over the link and every other member (reads)
// stays local. Decided at each call, so a follower that becomes leader runs them itself at once.
// A forwarded command returns a promise even where the local method does not (setPresence): the web
// layer awaits what it calls.
export function forwarded<T extends object>(target: keyof typeof FORWARDED, local: T, f: Forwarding): T {
  const methods = FORWARDED[target]!;
  return new Proxy(local, {
    get(object, prop) {
      const value: unknown = Reflect.get(object, prop, object);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      const spec = typeof prop === 'string' ? methods[prop] : undefined;
      // Bound: the domain's classes keep private fields, which a proxy as `this` cannot reach.
      if (!spec) return method.bind(object);
      const name = prop as string;
      return (...args: unknown[]) => {
        const role = f.role();
        if (role === 'leader') return method.apply(object, args);
        const runHere = () => f.promoted.then(() => method.apply(object, args));
        const call =
          role === 'catching_up' || role === 'becoming'
            ? runHere()
            : f.link.call(target, name, args).then(
                async (result) => {
                  await f.settle(target, name, args, result);
                  return result;
                },
                // Waiting for a link when this node won the lock: it runs the command once it leads.
                (err: unknown) => (err instanceof LinkStopped ? runHere() : Promise.reject(err)),
              );
        if (!spec.fireAndForget) return call;
        call.catch((err: unknown) => f.logger.warn({ err, command: `${target}.${name}` }, 'a forwarded command failed'));
        return undefined;
      };
    },
  });
}
