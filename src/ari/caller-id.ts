import type { AriChannel } from './client.ts';

// Who a channel says is calling, as ARI gives it (a desk phone's or a trunk's caller-ID). It comes from
// outside the product: a U+0000 in it is dropped here, where it enters, as in attachment names, so no
// page, log or store downstream sees one (PostgreSQL refuses it where SQLite would keep it).
// An event's channel may come without one.
export function callerOf(channel: Partial<Pick<AriChannel, 'caller'>>): string {
  const clean = (s: string | undefined) => (s ?? '').replaceAll('\u0000', '');
  return clean(channel.caller?.number) || clean(channel.caller?.name);
}
