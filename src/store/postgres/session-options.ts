// What every connection of a node asks of its PostgreSQL session, so that a node whose host vanishes
// (power cut, network partition: no FIN, no RST) does not keep its sessions, and their locks, for hours.
// - Server-side TCP keepalives: the server ends a silent peer's session after ~4 s (idle 2 s, then 2
//   probes 1 s apart) instead of the kernel's default ~2 h. This frees the leader lock's advisory lock,
//   and the row locks of a batch the old leader had begun.
// - idle_in_transaction_session_timeout: a session left inside a transaction with nothing running (its
//   node stalled, or alive but cut off only one way) is ended after 10 s, its transaction rolled back.
//   Our transactions run their statements back to back (group commit, migrations), so only a stuck
//   node reaches it; without it the new leader's group commit would wait on those row locks, and every
//   write in the cluster with it.
export const SESSION_OPTIONS = '-c tcp_keepalives_idle=2 -c tcp_keepalives_interval=1 -c tcp_keepalives_count=2 -c idle_in_transaction_session_timeout=10s';

// Client-side keepalives: the node, too, learns of a peer that went silent.
export const CLIENT_KEEPALIVE = { keepAlive: true, keepAliveInitialDelayMillis: 1000 } as const;
