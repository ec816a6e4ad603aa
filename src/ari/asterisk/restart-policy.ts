// When to start Asterisk again after it died: soon after a rare crash, ever later when it keeps dying
// (a bad config or a full disk would otherwise spin a core), and soon again once it ran a while.
export interface RestartPolicy {
  minDelayMs: number;
  maxDelayMs: number;
  // A run at least this long counts as stable: the next crash starts from minDelayMs again.
  stableAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { minDelayMs: 500, maxDelayMs: 10_000, stableAfterMs: 60_000 };

// The wait before the next start. `previousDelayMs` is the wait before the run that just ended (null
// for the first restart); `ranForMs` how long that run lived (0 when it did not even start).
export function nextRestartDelay(previousDelayMs: number | null, ranForMs: number, policy: RestartPolicy = DEFAULT_RESTART_POLICY): number {
  if (previousDelayMs === null || ranForMs >= policy.stableAfterMs) return policy.minDelayMs;
  return Math.min(policy.maxDelayMs, Math.max(policy.minDelayMs, previousDelayMs * 2));
}
