/**
 * The wait before try `attempt + 1` after `attempt` failed tries (1, 2, ...): exponential backoff
 * with full jitter, a uniformly random wait in [0, min(maxMs, baseMs * 2^(attempt - 1))), so
 * receivers coming back from an outage are not hit by every sender at once.
 */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(0, attempt - 1), 40));
  const r = random();
  return Math.floor(ceiling * (r >= 0 && r < 1 ? r : 0.5));
}
